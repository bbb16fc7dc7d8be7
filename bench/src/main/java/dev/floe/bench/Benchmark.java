package dev.floe.bench;

import dev.floe.launcher.LocalFleet;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.Progress;
import dev.floe.common.CodePackages;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.worker.Worker;
import dev.floe.worker.sandbox.Sandbox;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code floe bench}: Floe's latencies beside the floor, the same work done by the bare mechanism.
 * Warm invocations through the controller against two gRPC hops plus the runtime's own HTTP
 * exchange; freeze and thaw against raw cgroup writes; the cold start's spawn-to-first-next
 * against starting the same runtime plainly.
 */
final class Benchmark {
    private static final byte[] EVENT = "{\"hello\":\"floe\"}".getBytes(StandardCharsets.UTF_8);
    /** The worker's default freeze grace, which the benchmark's fleet uses. */
    private static final Duration GRACE = Duration.ofMillis(20);

    private Benchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench").section(FloeCommand.Section.TOOLS)
                .synopsis("bench [--warm N] [--cold N] [--tls]")
                .summary("Floe's warm, frozen and cold invocation latencies beside the bare mechanism's (the floor)")
                .description("""
                        Starts a fleet of one worker in this process and times invocations of examples/echo-python through the
                        controller and directly, then the same work done by a bare gRPC relay and worker; prints p50 and p99 of each.""")
                .options(new Args.Spec()
                        .value("warm", "N", "warm invocations per measure, 10..1000000 (default 2000)")
                        .value("cold", "N", "cold starts, 2..10000 (default 20)")
                        .value("endpoint", "HOST:PORT", "ignored: the benchmark runs a fleet of its own")
                        .flag("tls", "the fleet's gRPC over mutual TLS"))
                .runs(Benchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        int warm = args.integer("warm", 10, 1_000_000, 2000);
        int cold = args.integer("cold", 2, 10_000, 20);
        int frozen = Math.max(10, Math.min(200, warm / 10));
        // Servers run warm: let the JIT compile the paths before measuring them.
        int warmup = Math.max(3000, warm);
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-");
        try {
            // --tls: the fleet's gRPC over TLS (mutual between controller and worker), with a CA made for the run.
            dev.floe.common.tls.ClusterTls tls = args.has("tls")
                    ? dev.floe.common.tls.CertificateAuthority.initialize(data.resolve("tls"), "bench", List.of()) : null;
            return measure(cli, data, warm, cold, frozen, warmup, tls);
        } finally {
            dev.floe.common.FileTrees.delete(data);
        }
    }

    private static int measure(Cli cli, Path data, int warm, int cold, int frozen, int warmup, dev.floe.common.tls.ClusterTls tls)
            throws Exception {
        PrintStream log = cli.err();
        Path bootstrap = Files.createDirectories(data.resolve("echo")).resolve("bootstrap");
        Files.writeString(bootstrap, example("echo-python"));
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] code = CodePackages.zipDirectory(bootstrap.getParent());

        long[] warmRtt = new long[warm];
        long[] directRtt = new long[warm];
        long[] floorRelayed = new long[warm];
        long[] floorDirect = new long[warm];
        long[] frozenRtt = new long[frozen];
        long[] floorFrozen = new long[frozen];
        long[] initNanos = new long[cold];
        long[] coldRtt = new long[cold];
        double[] freeze;
        double[] thaw;
        double[] idleToFrozen;
        long[] floorStarts;
        Sandbox.Info sandbox;
        log.println("bench: Floe (one worker on loopback) and its floor (a bare worker and relay serving the same runtime,"
                + " started plainly), alternating; " + warm + " warm, " + frozen + " from frozen, " + cold + " cold"
                + (tls != null ? "; Floe's gRPC over TLS, the floor's plaintext" : ""));
        LocalFleet.Builder fleetBuilder = LocalFleet.builder();
        if (tls != null) {
            fleetBuilder.tls(tls);
        }
        try (LocalFleet fleet = fleetBuilder.workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(8192)
                .workerTuning(b -> b.freezeGrace(GRACE)).start().awaitRegistered(Duration.ofSeconds(30));
             FloeClient client = fleet.client();
             Floors.Pipeline floor = new Floors.Pipeline(bootstrap, cold, EVENT);
             Progress progress = Progress.start(log, "bench: warming up")) {
            floorStarts = floor.startNanos();
            Worker worker = fleet.workers().getFirst();
            sandbox = worker.sandbox();
            FunctionConfig config = FunctionConfig.newBuilder().setRuntime("provided").setHandler("echo").build();
            var function = client.createFunction("echo", code, config);
            InvokeRequest request = InvokeRequest.newBuilder().setFunction("echo").setPayload(ByteString.copyFrom(EVENT)).build();
            var toWorkerBuilder = io.grpc.netty.NettyChannelBuilder.forTarget(worker.address());
            if (tls != null) {
                toWorkerBuilder.sslContext(tls.clientContext(dev.floe.common.tls.CertificateRole.WORKER,
                        dev.floe.common.tls.CertificateRole.CONTROLLER));
            } else {
                toWorkerBuilder.usePlaintext();
            }
            var toWorker = toWorkerBuilder.intercept(fleet.controller().token().attach()).build();
            try {
                var direct = dev.floe.proto.WorkerInvokerGrpc.newBlockingStub(toWorker);
                int[] n = {0};
                Call floeDirect = () -> direct.invoke(dev.floe.proto.WorkerInvokeRequest.newBuilder().setFunction(function)
                        .setRequestId("bench-" + n[0]++).setPayload(ByteString.copyFrom(EVENT)).build());
                Call floeRelayed = () -> client.invoke(request);
                // Servers run warm: let the JIT compile every path before measuring.
                for (Call call : List.<Call>of(floeRelayed, floeDirect, floor::invokeRelayed, floor::invokeDirect)) {
                    time(new long[warmup], 0, warmup, call);
                }
                // Alternate in rounds, so that Floe and its floor see the same machine.
                int rounds = 10;
                progress.what("bench: warm rounds (Floe and its floor, alternating)");
                for (int r = 0; r < rounds; r++) {
                    progress.at(r, rounds);
                    int from = warm * r / rounds;
                    int to = warm * (r + 1) / rounds;
                    time(warmRtt, from, to, floeRelayed);
                    time(floorRelayed, from, to, floor::invokeRelayed);
                    time(directRtt, from, to, floeDirect);
                    time(floorDirect, from, to, floor::invokeDirect);
                }
            } finally {
                toWorker.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            boolean floorFreezes = floor.freezable();
            progress.what("bench: invocations from frozen");
            for (int i = 0; i < frozen; i++) {
                progress.at(i, frozen);
                awaitFrozen(client);
                long start = System.nanoTime();
                client.invoke(request);
                frozenRtt[i] = System.nanoTime() - start;
                if (floorFreezes) {
                    floor.freeze();
                    Thread.sleep(25);
                    start = System.nanoTime();
                    floor.thawAndInvokeRelayed();
                    floorFrozen[i] = System.nanoTime() - start;
                }
            }
            if (!floorFreezes) {
                floorFrozen = floorRelayed;
            }
            freeze = percentiles(worker, "floe.worker.freeze");
            thaw = percentiles(worker, "floe.worker.thaw");
            idleToFrozen = percentiles(worker, "floe.worker.idle.to.frozen");
            progress.what("bench: cold starts");
            for (int i = 0; i < cold; i++) {
                progress.at(i, cold);
                client.createFunction("echo-" + i, code, config);
                long start = System.nanoTime();
                InvokeResponse response = client.invoke(request.toBuilder().setFunction("echo-" + i).build());
                coldRtt[i] = System.nanoTime() - start;
                initNanos[i] = (long) (response.getInitDurationMs() * 1e6);
            }
        }
        long[][] rawFreezer = sandbox.freezer().equals("cgroup2") ? Floors.cgroup2Freeze(frozen) : null;

        PrintStream out = cli.out();
        out.printf(Locale.ROOT, "Floe %s on %d cores; freezer %s, memory limit %s, /tmp %s; times in ms%n", dev.floe.launcher.Floe.version(),
                Runtime.getRuntime().availableProcessors(), sandbox.freezer(), sandbox.memoryLimit(), sandbox.tmp());
        String format = "%-44s %9s %9s %9s %9s  %s%n";
        out.printf(format, "MEASURE", "FLOE p50", "FLOE p99", "FLOOR p50", "FLOOR p99", "FLOOR");
        row(out, format, "warm invoke, back to back (thawed)", p(warmRtt, 50), p(warmRtt, 99), p(floorRelayed, 50),
                p(floorRelayed, 99), "gRPC relay -> bare worker -> same runtime");
        row(out, format, "warm invoke, direct to the worker", p(directRtt, 50), p(directRtt, 99), p(floorDirect, 50),
                p(floorDirect, 99), "gRPC -> bare worker -> same runtime");
        row(out, format, "warm invoke, from frozen (thaw on the path)", p(frozenRtt, 50), p(frozenRtt, 99),
                p(floorFrozen, 50), p(floorFrozen, 99), "the same, runtime frozen, thawed by a cgroup write");
        if (rawFreezer != null) {
            row(out, format, "freeze: request -> every process stopped", freeze[0], freeze[1], p(rawFreezer[0], 50),
                    p(rawFreezer[0], 99), "cgroup.freeze write + poll cgroup.events");
            row(out, format, "thaw: request -> runnable", thaw[0], thaw[1], p(rawFreezer[1], 50), p(rawFreezer[1], 99),
                    "cgroup.freeze write");
            double grace = GRACE.toNanos() / 1e6;
            row(out, format, "frozen after the runtime's next (grace " + GRACE.toMillis() + " ms)", idleToFrozen[0],
                    idleToFrozen[1], grace + p(rawFreezer[0], 50), grace + p(rawFreezer[0], 99), "the grace + a raw freeze");
        } else {
            row(out, format, "freeze: request -> every process stopped", freeze[0], freeze[1], Double.NaN, Double.NaN, "-");
            row(out, format, "thaw: request -> runnable", thaw[0], thaw[1], Double.NaN, Double.NaN, "-");
        }
        row(out, format, "cold start: spawn -> runtime's first next", p(initNanos, 50), p(initNanos, 99),
                p(floorStarts, 50), p(floorStarts, 99), "the same bootstrap started plainly");
        row(out, format, "cold invoke, client round trip", p(coldRtt, 50), p(coldRtt, 99),
                p(floorStarts, 50) + p(floorRelayed, 50), p(floorStarts, 99) + p(floorRelayed, 99), "plain start + warm floor");
        return 0;
    }

    private static void row(PrintStream out, String format, String name, double floeP50, double floeP99, double floorP50,
                            double floorP99, String floor) {
        out.printf(Locale.ROOT, format, name, ms(floeP50), ms(floeP99), ms(floorP50), ms(floorP99), floor);
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.3f", millis);
    }

    private interface Call {
        void run() throws Exception;
    }

    /** Times calls into {@code samples[from..to)}. */
    private static void time(long[] samples, int from, int to, Call call) throws Exception {
        for (int i = from; i < to; i++) {
            long start = System.nanoTime();
            call.run();
            samples[i] = System.nanoTime() - start;
        }
    }

    /** The p-th percentile of nanosecond samples, in milliseconds. */
    static double p(long[] nanos, int percentile) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static double[] percentiles(Worker worker, String timer) {
        Timer t = worker.meters().find(timer).timer();
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        if (t != null) {
            for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
                if (v.percentile() == 0.5) {
                    p50 = v.value(TimeUnit.MILLISECONDS);
                } else if (v.percentile() == 0.99) {
                    p99 = v.value(TimeUnit.MILLISECONDS);
                }
            }
        }
        return new double[] {p50, p99};
    }

    private static void awaitFrozen(FloeClient client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            List<Environment> envs = client.environments("echo");
            if (!envs.isEmpty() && envs.stream().allMatch(e -> e.getState() == Environment.State.FROZEN)) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the environment did not freeze within 5 s");
    }

    static String example(String name) throws java.io.IOException {
        return dev.floe.launcher.Examples.bootstrap(name);
    }

}
