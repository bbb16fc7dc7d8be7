package dev.floe.bench;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.common.ClusterToken;
import dev.floe.common.CodePackages;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code floe bench-fleet}: a real local fleet, a controller and several worker processes on
 * loopback, under many functions and concurrent clients, once per placement policy. Function
 * popularity is Zipf-distributed (a few hot functions, a long tail), as in the Azure traces, and the
 * fleet's memory holds fewer environments than there are functions, so where the controller places
 * cold starts decides how many invocations find a warm environment. Prints, per policy, the warm-start
 * ratio and the latency percentiles, beside the floor: the function's own work, and the cold starts
 * no policy can avoid (one per function invoked).
 */
final class FleetBenchmark {
    private FleetBenchmark() {}

    record Settings(int workers, int workerMemoryMb, int functions, int clients, int invocations, int workMs, double zipf, long seed) {}

    record Row(String policy, int invocations, int warm, int cold, int throttled, int errors, long p50Nanos, long p99Nanos,
            double seconds, int distinctFunctions) {}

    static FloeCommand command() {
        return FloeCommand.named("bench-fleet").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-fleet [--workers N] [--worker-memory MB] [--functions N] [--clients N] [--invocations N] [--work-ms MS] [--policy P]...")
                .summary("worker processes under many functions, per placement policy: how many invocations stay warm")
                .options(new Args.Spec()
                        .value("workers", "N", "worker processes, 1..16 (default 3)")
                        .value("worker-memory", "MB", "each worker's memory (default 1024)")
                        .value("functions", "N", "functions of 128 MB with Zipf popularity (default 48)")
                        .value("clients", "N", "concurrent callers (default 8)")
                        .value("invocations", "N", "invocations per policy (default 3000)")
                        .value("work-ms", "MS", "each invocation's work (default 10)")
                        .value("seed", "N", "the random seed (default 42)")
                        .repeated("policy", "P", "a placement policy to measure (default: all)"))
                .runs(FleetBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        Settings settings = new Settings(
                args.integer("workers", 1, 16, 3),
                args.integer("worker-memory", 256, 1 << 20, 1024),
                args.integer("functions", 1, 10_000, 48),
                args.integer("clients", 1, 1024, 8),
                args.integer("invocations", 1, 10_000_000, 3000),
                args.integer("work-ms", 0, 60_000, 10),
                1.0,
                args.integer("seed", 0, Integer.MAX_VALUE, 42));
        List<String> policies = args.all("policy").isEmpty() ? dev.floe.controller.placement.Placements.NAMES : args.all("policy");
        for (String policy : policies) {
            try {
                dev.floe.controller.placement.Placements.named(policy, 0); // an unknown name, before any fleet starts
            } catch (IllegalArgumentException e) {
                throw new dev.floe.client.cli.UsageException("--policy: " + e.getMessage());
            }
        }
        PrintStream log = cli.err();
        log.println("bench-fleet: " + settings.workers() + " worker processes of " + settings.workerMemoryMb() + " MB, "
                + settings.functions() + " functions of 128 MB (Zipf popularity, s=" + settings.zipf() + "), "
                + settings.clients() + " clients, " + settings.invocations() + " invocations of " + settings.workMs()
                + " ms each, per policy");
        List<Row> rows = new ArrayList<>();
        for (String policy : policies) {
            rows.add(measure(settings, policy, log));
        }
        print(cli.out(), settings, rows);
        return 0;
    }

    private static Row measure(Settings settings, String policy, PrintStream log) throws Exception {
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-fleet-");
        List<Process> processes = new ArrayList<>();
        try {
            Path tokenFile = data.resolve("token");
            ClusterToken token = ClusterToken.readOrCreate(tokenFile);
            int port = freePort();
            List<String> controller = new ArrayList<>(List.of("controller", "--port", Integer.toString(port), "--host",
                    "127.0.0.1", "--data", data.resolve("controller").toString(), "--token-file", tokenFile.toString(),
                    "--lambda-port", "0"));
            controller.addAll(List.of("--placement", policy));
            processes.add(start(data, "controller", controller));
            HostPort endpoint = new HostPort("127.0.0.1", port);
            try (FloeClient client = FloeClient.connect(endpoint, token)) {
                awaitServing(client, processes.getFirst());
                for (int i = 0; i < settings.workers(); i++) {
                    processes.add(start(data, "worker-" + i, List.of("worker", "--controller", endpoint.toString(), "--id",
                            "worker-" + i, "--memory", Integer.toString(settings.workerMemoryMb()), "--data",
                            data.resolve("worker-" + i).toString(), "--listen", "127.0.0.1", "--token-file", tokenFile.toString())));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (client.workers().size() < settings.workers()) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("only " + client.workers().size() + " of " + settings.workers()
                                + " workers registered within 60 s; see " + data + "/*.log");
                    }
                    Thread.sleep(50);
                }
                byte[] code = code(data);
                FunctionConfig config = FunctionConfig.newBuilder().setRuntime("provided").setHandler("sleep").build();
                for (int f = 0; f < settings.functions(); f++) {
                    client.createFunction(name(f), code, config);
                }
                log.println("bench-fleet: placement " + policy + ": fleet up, running the load");
                return load(client, settings, policy);
            }
        } finally {
            stop(processes);
            dev.floe.common.FileTrees.delete(data);
        }
    }

    private static Row load(FloeClient client, Settings settings, String policy) throws InterruptedException {
        double[] cumulative = zipf(settings.functions(), settings.zipf());
        long[] latencies = new long[settings.invocations()];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger warm = new AtomicInteger();
        AtomicInteger cold = new AtomicInteger();
        AtomicInteger throttled = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        boolean[] invoked = new boolean[settings.functions()];
        byte[] event = ("{\"ms\":" + settings.workMs() + "}").getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bench-client-", 0).factory())) {
            for (int c = 0; c < settings.clients(); c++) {
                SplittableRandom random = new SplittableRandom(settings.seed() * 31 + c);
                clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < settings.invocations(); i = next.getAndIncrement()) {
                        int f = pick(cumulative, random.nextDouble());
                        synchronized (invoked) {
                            invoked[f] = true;
                        }
                        long t0 = System.nanoTime();
                        try {
                            InvokeResponse r = client.invoke(InvokeRequest.newBuilder().setFunction(name(f))
                                    .setPayload(ByteString.copyFrom(event)).build());
                            latencies[i] = System.nanoTime() - t0;
                            (r.getCold() ? cold : warm).incrementAndGet();
                            if (!r.getFunctionError().isEmpty()) {
                                errors.incrementAndGet();
                            }
                        } catch (FloeException e) {
                            latencies[i] = -1;
                            if (e.type() == ErrorType.TOO_MANY_REQUESTS) {
                                throttled.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                            }
                        }
                    }
                });
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] ok = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
        int distinct = 0;
        for (boolean b : invoked) {
            distinct += b ? 1 : 0;
        }
        return new Row(policy, settings.invocations(), warm.get(), cold.get(), throttled.get(), errors.get(),
                percentile(ok, 0.50), percentile(ok, 0.99), seconds, distinct);
    }

    private static void print(PrintStream out, Settings settings, List<Row> rows) {
        out.println();
        out.printf(Locale.ROOT, "%-16s %11s %8s %6s %9s %6s %9s %9s %10s%n", "POLICY", "INVOCATIONS", "WARM %", "COLD",
                "THROTTLED", "ERRORS", "p50 ms", "p99 ms", "INVOKES/s");
        for (Row r : rows) {
            int ran = r.warm() + r.cold();
            out.printf(Locale.ROOT, "%-16s %11d %8.1f %6d %9d %6d %9.2f %9.2f %10.0f%n", r.policy(), r.invocations(),
                    ran == 0 ? 0 : 100.0 * r.warm() / ran, r.cold(), r.throttled(), r.errors(), r.p50Nanos() / 1e6,
                    r.p99Nanos() / 1e6, r.invocations() / r.seconds());
        }
        int floorCold = rows.stream().mapToInt(Row::distinctFunctions).max().orElse(0);
        out.printf(Locale.ROOT, "%-16s %11s %8.1f %6d %9s %6s %9.2f %9s %10s%n", "floor", "",
                100.0 * (settings.invocations() - floorCold) / settings.invocations(), floorCold, "", "",
                (double) settings.workMs(), "", "");
        out.println("floor: one cold start per function invoked (no policy avoids those), and the function's own "
                + settings.workMs() + " ms of work as the latency. The fleet holds "
                + settings.workers() * (settings.workerMemoryMb() / 128) + " environments of 128 MB for "
                + settings.functions() + " functions.");
    }

    private static Process start(Path data, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
                dev.floe.launcher.Floe.class.getName()));
        command.addAll(args);
        Path log = data.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("HOME", data.toString());
        return builder.start();
    }

    private static void awaitServing(FloeClient client, Process controller) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                client.workers();
                return;
            } catch (FloeException e) {
                if (!controller.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the controller did not start serving: " + e.getMessage());
                }
                Thread.sleep(50);
            }
        }
    }

    /** SIGTERM to every process, workers first so they retire their environments; SIGKILL after 20 s. */
    private static void stop(List<Process> processes) throws InterruptedException {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).destroy();
            if (!processes.get(i).waitFor(20, TimeUnit.SECONDS)) {
                processes.get(i).destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static byte[] code(Path data) throws IOException {
        Path bootstrap = Files.createDirectories(data.resolve("sleep")).resolve("bootstrap");
        Files.writeString(bootstrap, Benchmark.example("sleep-python"));
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        return CodePackages.zipDirectory(bootstrap.getParent());
    }

    static String name(int f) {
        return "fn-" + f;
    }

    /** The cumulative distribution of Zipf(s) over n ranks. */
    static double[] zipf(int n, double s) {
        double[] cumulative = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1 / Math.pow(k, s);
            cumulative[k - 1] = sum;
        }
        for (int k = 0; k < n; k++) {
            cumulative[k] /= sum;
        }
        return cumulative;
    }

    static int pick(double[] cumulative, double u) {
        int i = Arrays.binarySearch(cumulative, u);
        return Math.min(cumulative.length - 1, i >= 0 ? i : -i - 1);
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
