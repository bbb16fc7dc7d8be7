package dev.floe.deploy.chaos;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.common.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code floe chaos}: the chaos harness from the command line. A short run by default (one round of
 * faults on two workers); {@code --rounds N} for a longer soak; {@code --async-rate N} asynchronous
 * invocations a second beside the synchronous callers (default 20, 0 for none). Exits 0 when the run passed.
 */
public final class ChaosCommand {
    private ChaosCommand() {}

    public static int run(List<String> argv, Cli cli) throws Exception {
        Args args = Args.parse("chaos", argv, new Args.Spec().value("workers").value("rounds").value("callers").value("async-rate")
                .value("settle").value("data").flag("no-netns").flag("keep"));
        args.positional(0, "no arguments");
        Path data = args.has("data") ? Path.of(args.value("data", null))
                : Files.createTempDirectory(Path.of(System.getProperty("user.dir")), "floe-chaos-");
        ChaosRun run = ChaosRun.builder()
                .workers(args.integer("workers", 2, 16, 2))
                .rounds(args.integer("rounds", 1, 10_000, 1))
                .callers(args.integer("callers", 1, 256, 4))
                .asyncPerSecond(args.integer("async-rate", 0, 10_000, 20))
                .settle(Duration.ofSeconds(args.integer("settle", 1, 600, 3)))
                .namespaces(!args.flag("no-netns"))
                .dataDir(data)
                .out(cli.out())
                .build();
        ChaosReport report = run.run();
        report.print(cli.out());
        if (!args.flag("keep") && report.passed()) {
            FileTrees.delete(data);
        } else {
            cli.out().println("data, logs and the function's records kept in " + data);
        }
        return report.passed() ? 0 : 1;
    }
}
