package dev.floe.launcher;

import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.common.CodePackages;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.worker.sandbox.Sandbox;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code floe demo}: starts a local fleet, deploys the sample function, invokes it so a user sees a
 * cold start, then warm starts on the same environment, frozen between invocations, prints what
 * happened as a table, and stops the fleet, leaving no process behind.
 */
final class Demo {
    private static final int INVOCATIONS = 4;

    private Demo() {}

    static FloeCommand command() {
        return FloeCommand.named("demo").section(FloeCommand.Section.FLEET).synopsis("demo [--data DIR]")
                .summary("a local fleet, a sample function, cold and warm starts, then exit")
                .description("""
                        Starts a controller and 2 workers in this process, deploys the sample function hello, invokes it
                        four times (a cold start, then warm starts on the same environment, frozen between invocations),
                        prints what happened, and stops, leaving no process behind.""")
                .options(new Args.Spec()
                        .value("data", "DIR", "where the fleet keeps its data (default: a new directory under /var/tmp, removed at the end)")
                        .value("endpoint", "HOST:PORT", "ignored: the demo runs a fleet of its own"))
                .runs(Demo::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        PrintStream out = cli.out();
        boolean temporary = !args.has("data");
        // Not under /tmp: each environment gets a private /tmp mounted there, which would hide the fleet's data.
        Path data = temporary ? Files.createTempDirectory(Path.of("/var/tmp"), "floe-demo-")
                : Files.createDirectories(Path.of(args.value("data", null)).toAbsolutePath());
        List<Row> rows = new ArrayList<>();
        long pid;
        Sandbox.Info sandbox;
        out.println("Floe demo: starting a local fleet (a controller and 2 workers) with data in " + data);
        try (LocalFleet fleet = LocalFleet.builder().workers(2).port(0).dataDir(data).workerMemoryMb(1024).start()) {
            fleet.awaitRegistered(Duration.ofSeconds(30));
            sandbox = fleet.workers().getFirst().sandbox();
            out.println("  sandbox: freezer " + sandbox.freezer() + ", memory limit " + sandbox.memoryLimit()
                    + ", private /tmp " + sandbox.tmp());
            try (FloeClient client = fleet.client()) {
                client.createFunction("hello", CodePackages.zipFiles(Map.of("bootstrap", sample())),
                        FunctionConfig.newBuilder().setRuntime("provided").setHandler("hello.handler").build());
                out.println("  deployed function \"hello\": a shell-script runtime speaking the Lambda Runtime API");
                out.println();
                for (int i = 1; i <= INVOCATIONS; i++) {
                    long sent = System.nanoTime();
                    InvokeResponse response = client.invoke("hello", ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), false);
                    long answered = System.nanoTime();
                    if (!response.getFunctionError().isEmpty()) {
                        cli.err().println("floe: the sample function failed: " + response.getPayload().toStringUtf8());
                        return 1;
                    }
                    Optional<Environment> frozen = awaitFrozen(client, response.getEnvironmentId(), Duration.ofSeconds(5));
                    rows.add(new Row(i, response, (answered - sent) / 1e6, frozen.map(e -> "FROZEN").orElse("not frozen"),
                            frozen.map(Environment::getPid).orElse(0)));
                }
            }
            pid = rows.getFirst().pid();
            print(out, rows);
        } finally {
            if (temporary) {
                dev.floe.common.FileTrees.delete(data);
            }
        }
        boolean gone = ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        out.println();
        boolean sameEnvironment = rows.stream().skip(1).allMatch(r -> !r.response().getCold()
                && r.response().getEnvironmentId().equals(rows.getFirst().response().getEnvironmentId()));
        out.println(sameEnvironment
                ? "After the cold start, every invocation ran warm in the same environment (pid " + pid
                        + "), which kept its state (the count) and was frozen between invocations."
                : "Not every warm invocation reused the first environment; see the table.");
        out.println("Fleet stopped: " + (gone ? "no environment process left." : "environment process " + pid + " still running!"));
        return gone && sameEnvironment ? 0 : 1;
    }

    private record Row(int n, InvokeResponse response, double roundTripMs, String between, long pid) {}

    private static void print(PrintStream out, List<Row> rows) {
        String format = "%-3s %-5s %-14s %-10s %-7s %-10s %-10s %-11s %-12s %s%n";
        out.printf(format, "#", "START", "ENVIRONMENT", "WORKER", "PID", "INIT", "DURATION", "ROUND TRIP", "THEN", "RESPONSE");
        for (Row r : rows) {
            InvokeResponse response = r.response();
            out.printf(format, r.n(), response.getCold() ? "cold" : "warm", response.getEnvironmentId(), response.getWorkerId(),
                    r.pid(), response.getCold() ? ms(response.getInitDurationMs()) : "-", ms(response.getDurationMs()),
                    ms(r.roundTripMs()), r.between(), response.getPayload().toStringUtf8());
        }
    }

    /** Waits until the fleet view reports the environment frozen, as the worker reported it. */
    private static Optional<Environment> awaitFrozen(FloeClient client, String environmentId, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Environment> env = client.environments("hello").stream()
                    .filter(e -> e.getId().equals(environmentId)).findFirst();
            if (env.isPresent() && env.get().getState() == Environment.State.FROZEN) {
                return env;
            }
            Thread.sleep(2);
        }
        return Optional.empty();
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%.1f ms", millis);
    }

    /** The sample function's bootstrap, {@code examples/hello}. */
    static String sample() throws IOException {
        return Examples.bootstrap("hello");
    }

}
