package dev.floe.chaos;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.Progress;
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

    public static FloeCommand command() {
        return FloeCommand.named("chaos").section(FloeCommand.Section.TOOLS)
                .synopsis("chaos [--workers N] [--controllers N --etcd URL] [--rounds N] [--callers N] [--async-rate N] [--settle S]"
                        + " [--data DIR] [--no-netns] [--keep]")
                .summary("kill workers and the controller and cut links under load, then count from the function's records (root)")
                .description("""
                        Starts a controller and workers as separate processes, each worker in a network namespace of its own,
                        keeps synchronous and asynchronous load on a function that records every invocation, and per round
                        kills a worker, cuts a worker's link past the heartbeat timeout and kills the controller. Then prints
                        what was accepted, completed, lost, duplicated, failed cleanly and hung; exits 0 when nothing was lost
                        or hung.""")
                .options(new Args.Spec()
                        .value("workers", "N", "workers, 2..16 (default 2)")
                        .value("controllers", "N", "controllers, 1..5 (default 1); more than one make a cluster on --etcd, and"
                                + " each round kills one in turn")
                        .value("etcd", "URL[,URL...]", "the etcd the cluster of controllers shares (with --controllers 2 or more)")
                        .value("rounds", "N", "rounds of faults, 1..10000 (default 1)")
                        .value("callers", "N", "synchronous callers, 1..256 (default 4)")
                        .value("async-rate", "N", "asynchronous invocations a second, 0..10000 (default 20)")
                        .value("settle", "S", "seconds of undisturbed load after the faults, 1..600 (default 3)")
                        .value("data", "DIR", "where the fleet's data and logs go (default: a new directory here)")
                        .flag("no-netns", "every node on loopback, without namespaces (links are not cut)")
                        .flag("keep", "keep the data and logs of a run that passed"))
                .runs(ChaosCommand::run).build();
    }

    public static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        Path data = args.has("data") ? Path.of(args.value("data", null))
                : Files.createTempDirectory(Path.of(System.getProperty("user.dir")), "floe-chaos-");
        int controllers = args.integer("controllers", 1, 5, 1);
        if (controllers > 1 && !args.has("etcd")) {
            throw new dev.floe.client.cli.UsageException("--controllers " + controllers + ": a cluster needs --etcd URL (expected: e.g."
                    + " --etcd http://127.0.0.1:2379)");
        }
        ChaosRun.Builder run = ChaosRun.builder()
                .controllers(controllers, args.value("etcd", null))
                .workers(args.integer("workers", 2, 16, 2))
                .rounds(args.integer("rounds", 1, 10_000, 1))
                .callers(args.integer("callers", 1, 256, 4))
                .asyncPerSecond(args.integer("async-rate", 0, 10_000, 20))
                .settle(Duration.ofSeconds(args.integer("settle", 1, 600, 3)))
                .namespaces(!args.flag("no-netns"))
                .dataDir(data)
                .out(cli.out());
        ChaosReport report;
        try (Progress progress = Progress.start(cli.err(), "chaos: starting the fleet")) {
            report = run.progress(progress).build().run();
        }
        report.print(cli.out());
        if (!args.flag("keep") && report.passed()) {
            FileTrees.delete(data);
        } else {
            cli.out().println("data, logs and the function's records kept in " + data);
        }
        return report.passed() ? 0 : 1;
    }
}
