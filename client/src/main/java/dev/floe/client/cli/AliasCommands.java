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

    int alias(List<String> args) {
        if (args.isEmpty()) {
            throw new UsageException("'alias' needs a subcommand (expected one of: set, list, delete)");
        }
        List<String> rest = args.subList(1, args.size());
        return switch (args.getFirst()) {
            case "set" -> set(rest);
            case "list", "ls" -> list(rest);
            case "delete", "rm" -> delete(rest);
            default -> throw new UsageException("unknown subcommand 'alias " + args.getFirst() + "' (expected one of: set, list, delete)");
        };
    }

    /**
     * {@code alias set NAME ALIAS REVISION}: creates the alias, or points an existing one at REVISION.
     * The routing is what the line says (none without --weight); the description is kept unless given.
     */
    private int set(List<String> argv) {
        Args args = Args.parse("alias set", argv, Cli.connectionOptions().value("weight").value("description").flag("json"));
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

    private int list(List<String> argv) {
        Args args = Args.parse("alias list", argv, Cli.connectionOptions().flag("json"));
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

    private int delete(List<String> argv) {
        Args args = Args.parse("alias delete", argv, Cli.connectionOptions());
        List<String> positional = args.positional(2, "NAME ALIAS");
        try (FloeClient client = cli.connect(args)) {
            client.deleteAlias(positional.get(0), positional.get(1));
            cli.out().println("deleted alias " + positional.get(1) + " of " + positional.get(0));
            return 0;
        }
    }

    /** {@code fn revisions NAME}: every revision, oldest first, with the aliases that point at it. */
    int revisions(List<String> argv) {
        Args args = Args.parse("fn revisions", argv, Cli.connectionOptions().flag("json"));
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
