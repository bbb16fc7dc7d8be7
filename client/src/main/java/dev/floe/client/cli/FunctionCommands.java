package dev.floe.client.cli;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.common.CodePackages;
import dev.floe.proto.EnvironmentVariables;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.UpdateFunctionRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code floe fn create|update|get|ls|rm}: a function's code and configuration ({@code fn revisions} is {@link AliasCommands}'). */
final class FunctionCommands {
    private final Cli cli;

    FunctionCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe fn}: its subcommands, their help and options. */
    static FloeCommand command() {
        return FloeCommand.named("fn").section(FloeCommand.Section.FUNCTIONS)
                .summary("a function's code and configuration: create, update, get, ls, rm, revisions")
                .subcommand(FloeCommand.named("create")
                        .synopsis("fn create NAME --code DIR|ZIP|JAR --handler H [--runtime provided|python3|nodejs|java25|java21]"
                                + " [--memory MB] [--timeout S] [--tmp MB] [--env K=V]...")
                        .summary("a new function, revision 1")
                        .options(Cli.connectionOptions(configOptions().positional("NAME", "the function's name (Lambda's rules:"
                                + " 1-64 letters, digits, - and _)")))
                        .runs((args, cli) -> new FunctionCommands(cli).fnCreate(args)).build())
                .subcommand(FloeCommand.named("update")
                        .synopsis("fn update NAME [--code DIR|ZIP] [--handler H] [--runtime R] [--memory MB] [--timeout S] [--tmp MB]"
                                        + " [--env K=V]...",
                                "fn update NAME [--reserved N|none] [--provisioned N]   (concurrency alone makes no new revision)")
                        .summary("a new revision; options not given keep their values, --env replaces all variables")
                        .options(Cli.connectionOptions(configOptions().positional("NAME", "the function's name")
                                .value("reserved", "N|none", "reserved concurrency: at most N at once, none for no reservation")
                                .value("provisioned", "N", "environments kept initialized for the latest revision")))
                        .runs((args, cli) -> new FunctionCommands(cli).fnUpdate(args)).build())
                .subcommand(FloeCommand.named("get").synopsis("fn get NAME [--json]")
                        .summary("a function's configuration, code digest and concurrency")
                        .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")
                                .flag("json", "print the function as JSON")))
                        .runs((args, cli) -> new FunctionCommands(cli).fnGet(args)).build())
                .subcommand(FloeCommand.named("ls").aliases("list").synopsis("fn ls [--json]").summary("every function")
                        .options(Cli.connectionOptions(new Args.Spec().flag("json", "print the functions as JSON")))
                        .runs((args, cli) -> new FunctionCommands(cli).fnList(args)).build())
                .subcommand(FloeCommand.named("rm").aliases("delete").synopsis("fn rm NAME")
                        .summary("deletes a function, its revisions and aliases; its environments are retired")
                        .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")))
                        .runs((args, cli) -> new FunctionCommands(cli).fnDelete(args)).build())
                .subcommand(AliasCommands.revisionsCommand())
                .build();
    }

    private static Args.Spec configOptions() {
        return new Args.Spec()
                .value("code", "DIR|ZIP|JAR", "the function's code: a directory (zipped here), a zip or a jar;"
                        + " a directory or zip has an executable bootstrap at its root for runtime provided")
                .value("runtime", "R", "provided (the code's own bootstrap; default), python3, nodejs, java25 or java21")
                .value("handler", "H", "passed to the runtime as _HANDLER (e.g. hello.handler, com.example.Handler::handleRequest)")
                .value("memory", "MB", "memory size, 128..10240 (default 128)")
                .value("timeout", "S", "seconds an invocation may run, 1..900 (default 3)")
                .value("tmp", "MB", "the size of the environment's /tmp, 512..10240 (default 512)")
                .repeated("env", "K=V", "an environment variable for the function; repeat for more")
                .flag("json", "print the function as JSON");
    }

    private int fnCreate(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        byte[] code = readCode(args.required("code", "DIR|ZIP|JAR (the function's code: a directory, a zip or a jar)"));
        FunctionConfig.Builder config = FunctionConfig.newBuilder()
                .setRuntime(args.value("runtime", "provided"))
                .setHandler(args.required("handler", "HANDLER (passed to the runtime as _HANDLER)"))
                .putAllEnvironment(environment(args.all("env")));
        optionalInt(args, "memory").ifPresent(config::setMemoryMb);
        optionalInt(args, "timeout").ifPresent(config::setTimeoutSeconds);
        optionalInt(args, "tmp").ifPresent(config::setTmpMb);
        try (FloeClient client = cli.connect(args);
                Progress progress = uploading(code.length)) {
            Function created = client.createFunction(name, code, config.build());
            progress.close();
            return printFunctionChange("created", created, args.flag("json"));
        }
    }

    private int fnUpdate(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        UpdateFunctionRequest.Builder update = UpdateFunctionRequest.newBuilder().setName(name);
        if (args.has("code")) {
            update.setCodeZip(ByteString.copyFrom(readCode(args.value("code", null))));
        }
        if (args.has("runtime")) {
            update.setRuntime(args.value("runtime", null));
        }
        if (args.has("handler")) {
            update.setHandler(args.value("handler", null));
        }
        optionalInt(args, "memory").ifPresent(update::setMemoryMb);
        optionalInt(args, "timeout").ifPresent(update::setTimeoutSeconds);
        optionalInt(args, "tmp").ifPresent(update::setTmpMb);
        if (args.has("env")) {
            update.setEnvironment(EnvironmentVariables.newBuilder().putAllVariables(environment(args.all("env"))));
        }
        if (args.has("reserved")) {
            String reserved = args.value("reserved", null);
            update.setReservedConcurrency(reserved.equals("none") ? -1 : optionalInt(args, "reserved").orElseThrow());
        }
        optionalInt(args, "provisioned").ifPresent(update::setProvisionedConcurrency);
        try (FloeClient client = cli.connect(args);
                Progress progress = uploading(update.getCodeZip().size())) {
            Function updated = client.updateFunction(update.build());
            progress.close();
            return printFunctionChange("updated", updated, args.flag("json"));
        }
    }

    private int printFunctionChange(String verb, Function function, boolean json) {
        if (json) {
            cli.out().println(Cli.json(function));
        } else {
            cli.out().println(verb + " " + function.getName() + " revision " + function.getRevision() + " (code "
                    + function.getCodeSha256().substring(0, 12) + ", " + function.getCodeSize() + " bytes)");
        }
        return 0;
    }

    private int fnGet(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        try (FloeClient client = cli.connect(args)) {
            Function f = client.getFunction(name);
            if (args.flag("json")) {
                cli.out().println(Cli.json(f));
                return 0;
            }
            FunctionConfig c = f.getConfig();
            Table table = new Table("FIELD", "VALUE")
                    .row("name", f.getName())
                    .row("revision", f.getRevision())
                    .row("runtime", c.getRuntime())
                    .row("handler", c.getHandler())
                    .row("memory", c.getMemoryMb() + " MB")
                    .row("timeout", c.getTimeoutSeconds() + " s")
                    .row("tmp", c.getTmpMb() + " MB")
                    .row("code", f.getCodeSha256() + " (" + f.getCodeSize() + " bytes)")
                    .row("modified", Cli.instant(f.getLastModified()))
                    .row("reserved", f.getConcurrency().hasReserved() ? String.valueOf(f.getConcurrency().getReserved()) : "none")
                    .row("provisioned", f.getConcurrency().getProvisioned());
            c.getEnvironmentMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> table.row("env " + e.getKey(), e.getValue()));
            table.print(cli.out());
            return 0;
        }
    }

    private int fnList(Args args) {
        args.positional(0, "no arguments");
        try (FloeClient client = cli.connect(args)) {
            List<Function> functions = client.listFunctions();
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(functions));
                return 0;
            }
            Table table = new Table("NAME", "REVISION", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "TMP", "MODIFIED");
            for (Function f : functions) {
                FunctionConfig c = f.getConfig();
                table.row(f.getName(), f.getRevision(), c.getRuntime(), c.getHandler(), c.getMemoryMb() + " MB",
                        c.getTimeoutSeconds() + " s", c.getTmpMb() + " MB", Cli.instant(f.getLastModified()));
            }
            table.print(cli.out());
            return 0;
        }
    }

    private int fnDelete(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        try (FloeClient client = cli.connect(args)) {
            client.deleteFunction(name);
            cli.out().println("deleted " + name);
            return 0;
        }
    }

    /** Code of at least this size shows a progress line while it travels (on a terminal). */
    static final int LARGE_UPLOAD_BYTES = 1024 * 1024;

    private Progress uploading(int bytes) {
        return Progress.start(cli.err(), String.format(java.util.Locale.ROOT, "uploading %.1f MB of code", bytes / 1048576.0),
                bytes >= LARGE_UPLOAD_BYTES && Progress.onTerminal());
    }

    private static byte[] readCode(String location) {
        Path path = Path.of(location);
        if (Files.isDirectory(path)) {
            return CodePackages.zipDirectory(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new UsageException("--code: no such file or directory: " + location + " (expected: a directory or a .zip file)");
        }
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UsageException("--code: cannot read " + location + " (" + e.getMessage() + ")");
        }
    }

    private static Map<String, String> environment(List<String> pairs) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--env: \"" + pair + "\" (expected: KEY=VALUE)");
            }
            vars.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return vars;
    }

    private static Optional<Integer> optionalInt(Args args, String name) {
        return Optional.ofNullable(args.integer(name, 0, Integer.MAX_VALUE, null));
    }
}
