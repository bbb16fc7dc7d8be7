package dev.floe.client.cli;

import dev.floe.client.FloeClient;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Alias;
import dev.floe.proto.AliasRouting;
import dev.floe.proto.CreateAliasRequest;
import dev.floe.proto.Function;
import dev.floe.proto.UpdateAliasRequest;
import java.util.List;
import java.util.stream.Collectors;

/** {@code floe alias set|list|delete} and {@code floe fn revisions}: a function's revisions and the aliases naming them. */
final class AliasCommands {
    private final Cli cli;

    AliasCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe alias}: its subcommands, their help and options. */
    static FloeCommand command() {
        return FloeCommand.named("alias").section(FloeCommand.Section.FUNCTIONS)
                .summary("names pointing at a function's revisions, optionally sending a share of invocations to another")
                .subcommand(FloeCommand.named("set")
                        .synopsis("alias set NAME ALIAS REVISION [--weight REVISION2=SHARE] [--description D]")
                        .summary("point ALIAS at REVISION, and SHARE (0..1) of its invocations at REVISION2;"
                                + " without --weight, none (--description is kept unless given)")
                        .options(Cli.connectionOptions(new Args.Spec()
                                .positional("NAME ALIAS REVISION", "the function, the alias (1-128 letters, digits, - and _,"
                                        + " not only digits) and the revision number it points at")
                                .value("weight", "REVISION2=SHARE", "send SHARE (0..1) of the alias's invocations to REVISION2")
                                .value("description", "D", "the alias's description")
                                .flag("json", "print the alias as JSON")))
                        .runs((args, cli) -> new AliasCommands(cli).set(args)).build())
                .subcommand(FloeCommand.named("list").aliases("ls").synopsis("alias list NAME [--json]")
                        .summary("a function's aliases and where each points")
                        .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")
                                .flag("json", "print the aliases as JSON")))
                        .runs((args, cli) -> new AliasCommands(cli).list(args)).build())
                .subcommand(FloeCommand.named("delete").aliases("rm").synopsis("alias delete NAME ALIAS")
                        .summary("deletes an alias; the revisions stay")
                        .options(Cli.connectionOptions(new Args.Spec().positional("NAME ALIAS", "the function and the alias")))
                        .runs((args, cli) -> new AliasCommands(cli).delete(args)).build())
                .build();
    }

    /** {@code floe fn revisions}. */
    static FloeCommand revisionsCommand() {
        return FloeCommand.named("revisions").synopsis("fn revisions NAME [--json]")
                .summary("every revision, oldest first, and the aliases pointing at each")
                .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")
                        .flag("json", "print the revisions as JSON")))
                .runs((args, cli) -> new AliasCommands(cli).revisions(args)).build();
    }

    /**
     * {@code alias set NAME ALIAS REVISION}: creates the alias, or points an existing one at REVISION.
     * The routing is what the line says (none without --weight); the description is kept unless given.
     */
    private int set(Args args) {
        List<String> positional = args.positional(3, "NAME ALIAS REVISION");
        String function = positional.get(0);
        String name = positional.get(1);
        int revision = revisionNumber("REVISION", positional.get(2));
        AliasRouting routing = args.has("weight") ? weight(args.value("weight", null)) : AliasRouting.getDefaultInstance();
        try (FloeClient client = cli.connect(args)) {
            Alias alias;
            String verb;
            try {
                client.getAlias(function, name);
                UpdateAliasRequest.Builder update = UpdateAliasRequest.newBuilder().setFunction(function).setName(name)
                        .setRevision(revision).setRouting(routing);
                if (args.has("description")) {
                    update.setDescription(args.value("description", ""));
                }
                alias = client.updateAlias(update.build());
                verb = "updated";
            } catch (FloeException e) {
                if (e.type() != ErrorType.RESOURCE_NOT_FOUND || !e.getMessage().startsWith("alias ")) {
                    throw e;
                }
                alias = client.createAlias(CreateAliasRequest.newBuilder().setFunction(function).setName(name).setRevision(revision)
                        .setDescription(args.value("description", "")).setRouting(routing).build());
                verb = "created";
            }
            if (args.flag("json")) {
                cli.out().println(Cli.json(alias));
            } else {
                cli.out().println(verb + " alias " + alias.getName() + " of " + alias.getFunction() + " -> " + target(alias));
            }
            return 0;
        }
    }

    private int list(Args args) {
        String function = args.positional(1, "one function name").getFirst();
        try (FloeClient client = cli.connect(args)) {
            List<Alias> aliases = client.listAliases(function);
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(aliases));
                return 0;
            }
            Table table = new Table("ALIAS", "REVISION", "ROUTING", "DESCRIPTION");
            for (Alias a : aliases) {
                table.row(a.getName(), a.getRevision(), a.hasRouting() ? routing(a) : "-", a.getDescription());
            }
            table.print(cli.out());
            return 0;
        }
    }

    private int delete(Args args) {
        List<String> positional = args.positional(2, "NAME ALIAS");
        try (FloeClient client = cli.connect(args)) {
            client.deleteAlias(positional.get(0), positional.get(1));
            cli.out().println("deleted alias " + positional.get(1) + " of " + positional.get(0));
            return 0;
        }
    }

    /** {@code fn revisions NAME}: every revision, oldest first, with the aliases that point at it. */
    int revisions(Args args) {
        String function = args.positional(1, "one function name").getFirst();
        try (FloeClient client = cli.connect(args)) {
            List<Function> revisions = client.listRevisions(function);
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(revisions));
                return 0;
            }
            List<Alias> aliases = client.listAliases(function);
            int latest = revisions.isEmpty() ? 0 : revisions.getLast().getRevision();
            Table table = new Table("REVISION", "CODE", "MEMORY", "MODIFIED", "ALIASES");
            for (Function f : revisions) {
                String names = aliases.stream().filter(a -> a.getRevision() == f.getRevision()
                                || (a.hasRouting() && a.getRouting().getRevision() == f.getRevision()))
                        .map(a -> a.getRevision() == f.getRevision() ? a.getName() : a.getName() + " (" + share(a) + ")")
                        .collect(Collectors.joining(", "));
                if (f.getRevision() == latest) {
                    names = names.isEmpty() ? "$LATEST" : "$LATEST, " + names;
                }
                table.row(f.getRevision(), f.getCodeSha256().substring(0, 12), f.getConfig().getMemoryMb() + " MB",
                        Cli.instant(f.getLastModified()), names.isEmpty() ? "-" : names);
            }
            table.print(cli.out());
            return 0;
        }
    }

    /** {@code --weight REVISION2=SHARE}. */
    private static AliasRouting weight(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new UsageException("--weight: \"" + text + "\" (expected: REVISION=SHARE, e.g. 3=0.1 to run revision 3 one time in ten)");
        }
        int revision = revisionNumber("--weight", text.substring(0, eq));
        double share;
        try {
            share = Double.parseDouble(text.substring(eq + 1));
        } catch (NumberFormatException e) {
            share = Double.NaN;
        }
        if (!(share >= 0.0 && share <= 1.0)) {
            throw new UsageException("--weight: share \"" + text.substring(eq + 1) + "\" (expected: a number 0..1)");
        }
        return AliasRouting.newBuilder().setRevision(revision).setWeight(share).build();
    }

    private static int revisionNumber(String what, String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new UsageException(what + ": \"" + text + "\" (expected: a revision number, 1 or more; see floe fn revisions NAME)");
    }

    private static String target(Alias a) {
        return "revision " + a.getRevision() + (a.hasRouting() ? ", " + routing(a) : "");
    }

    private static String routing(Alias a) {
        return "revision " + a.getRouting().getRevision() + " " + share(a);
    }

    private static String share(Alias a) {
        return Math.round(a.getRouting().getWeight() * 1000) / 10.0 + "%";
    }
}
