package dev.floe.bench;

import dev.floe.bench.load.GrpcTarget;
import dev.floe.bench.load.Load;
import dev.floe.bench.load.LoadPlan;
import dev.floe.bench.load.LoadReport;
import dev.floe.bench.load.LoadTarget;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.UsageException;
import dev.floe.common.ClusterToken;
import dev.floe.common.CodePackages;
import dev.floe.common.HostPort;
import dev.floe.launcher.LocalFleet;
import dev.floe.proto.FunctionConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code floe bench-throughput}: warm throughput under concurrency beside its floor, in the same run.
 * For each number of functions and of callers, {@code floe load}'s closed loop drives a one-worker
 * fleet in this process through the controller, then the floor: the bare relay and bare worker of
 * {@code floe bench}, serving the same runtime from a pool of as many processes as the most callers,
 * so the floor never waits for a runtime. CPU per invocation comes from {@code /proc}, split by who
 * spent it.
 */
final class ThroughputBenchmark {
    private static final byte[] EVENT = "{\"hello\":\"floe\"}".getBytes(StandardCharsets.UTF_8);
    private static final int FUNCTION_MB = 128;
    /** Warm-up rounds at most per step: a step still starting environments after them is measured as it is. */
    private static final int MAX_WARMUP_ROUNDS = 10;

    private ThroughputBenchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench-throughput").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-throughput [--callers N,N...] [--functions N,N...] [--duration S] [--warmup S]")
                .summary("warm invocations per second, latency and CPU per invocation under 1..256 callers, beside the floor")
                .description("""
                        Starts a fleet of one worker in this process and the floor (a bare gRPC relay and worker handing events
                        to a pool of the same runtime, examples/echo-python, started plainly), then for each number of functions
                        and of callers runs floe load's closed loop against each, alternating; prints invocations per second,
                        latency percentiles and CPU per invocation by process and thread group, read from /proc.""")
                .options(new Args.Spec()
                        .value("callers", "N,N...", "concurrent callers per step (default 1,4,16,64,128,256)")
                        .value("functions", "N,N...", "functions invoked, with a Zipf skew (default 1,100)")
                        .value("duration", "S", "seconds measured per step and side (default 5)")
                        .value("warmup", "S", "seconds sent before each measure and not counted (default 2)")
                        .value("endpoint", "HOST:PORT", "ignored: the benchmark runs a fleet of its own"))
                .runs(ThroughputBenchmark::run).build();
    }

    /** One side's figures at one step. */
    private record Step(LoadReport report, double controllerMs, double workerMs, double runtimeMs, double sharedMs) {
        double perInvocationUs(double ms) {
            return report.ran() == 0 ? Double.NaN : ms * 1000 / report.ran();
        }
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        List<Integer> callers = list(args, "callers", "1,4,16,64,128,256", 1, 4096);
        List<Integer> functions = list(args, "functions", "1,100", 1, 1000);
        Duration duration = Duration.ofSeconds(args.integer("duration", 1, 3600, 5));
        Duration warmup = Duration.ofSeconds(args.integer("warmup", 0, 3600, 2));
        int maxCallers = callers.stream().max(Integer::compare).orElseThrow();
        int maxFunctions = functions.stream().max(Integer::compare).orElseThrow();
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-throughput-");
        PrintStream log = cli.err();
        try {
            Path bootstrap = Files.createDirectories(data.resolve("echo")).resolve("bootstrap");
            Files.writeString(bootstrap, Benchmark.example("echo-python"));
            Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
            byte[] code = CodePackages.zipDirectory(bootstrap.getParent());
            // Room for an environment per caller and the idle ones of every function besides.
            int workerMb = FUNCTION_MB * (maxCallers + maxFunctions + 16);
            log.printf(Locale.ROOT, "bench-throughput: Floe (one worker, %d MB, controller in this process) and its floor (%d runtimes);"
                    + " callers %s, functions %s; %d s warm-up, %d s measured per step and side%n", workerMb, maxCallers, callers, functions,
                    warmup.toSeconds(), duration.toSeconds());
            try (LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(workerMb)
                    .start().awaitRegistered(Duration.ofSeconds(30));
                 FloeClient client = fleet.client();
                 Floors.Pipeline floor = new Floors.Pipeline(bootstrap, 1, EVENT, maxCallers);
                 FloeClient floorClient = FloeClient.connect(new HostPort("127.0.0.1", floor.relayPort()), ClusterToken.generate())) {
                FunctionConfig config = FunctionConfig.newBuilder().setRuntime("provided").setHandler("echo").setMemoryMb(FUNCTION_MB).build();
                for (int i = 1; i <= maxFunctions; i++) {
                    client.createFunction("echo-" + i, code, config);
                }
                Set<Long> floorPids = Set.copyOf(floor.runtimePids());
                List<String[]> rows = new ArrayList<>();
                for (int f : functions) {
                    List<String> names = new ArrayList<>();
                    for (int i = 1; i <= f; i++) {
                        names.add("echo-" + i);
                    }
                    for (int c : callers) {
                        LoadPlan plan = LoadPlan.closed(names, 1.0, List.of(EVENT), c, warmup, duration);
                        log.printf(Locale.ROOT, "bench-throughput: %d function(s), %d callers%n", f, c);
                        Step floe = step(plan, new GrpcTarget(client, false), pid -> !floorPids.contains(pid));
                        Step bare = step(plan, new GrpcTarget(floorClient, false), floorPids::contains);
                        rows.add(row(f, c, floe, bare));
                    }
                }
                print(cli.out(), rows);
            }
        } finally {
            dev.floe.common.FileTrees.delete(data);
        }
        return 0;
    }

    private static Step step(LoadPlan plan, LoadTarget target, java.util.function.LongPredicate runtime) throws InterruptedException {
        // Warm throughput: warm-up rounds, neither timed nor sampled, until one starts no environment (each
        // concurrent invocation of a function needs an environment of its own; the floor's are all started).
        if (!plan.warmup().isZero()) {
            for (int round = 0; round < MAX_WARMUP_ROUNDS; round++) {
                LoadReport warm = Load.run(new LoadPlan(plan.functions(), plan.zipf(), plan.payloads(), plan.callers(), 0,
                        Duration.ZERO, plan.warmup()), target, p -> { });
                if (warm.coldStarts() == null || warm.coldStarts() == 0) {
                    break;
                }
            }
        }
        LoadPlan measured = new LoadPlan(plan.functions(), plan.zipf(), plan.payloads(), plan.callers(), 0, Duration.ZERO, plan.duration());
        ProcessCpu.Sample threadsBefore = ProcessCpu.threads(ThroughputBenchmark::group);
        Map<Long, Double> runtimesBefore = ProcessCpu.processes(runtimes(runtime));
        LoadReport report = Load.run(measured, target, p -> { });
        Map<String, Double> jvm = ProcessCpu.threads(ThroughputBenchmark::group).since(threadsBefore, "shared");
        Map<Long, Double> runtimesAfter = ProcessCpu.processes(runtimes(runtime));
        return new Step(report, jvm.getOrDefault("controller", 0.0), jvm.getOrDefault("worker", 0.0),
                ProcessCpu.delta(runtimesBefore, runtimesAfter), jvm.getOrDefault("shared", 0.0) + jvm.getOrDefault("floor", 0.0));
    }

    private static List<Long> runtimes(java.util.function.LongPredicate which) {
        return ProcessHandle.current().descendants().mapToLong(ProcessHandle::pid).filter(which).boxed().toList();
    }

    /**
     * Who a thread works for, by its name. The floor's threads are its relay and worker; "shared" is the
     * rest of the JVM: garbage collection, the JIT, and the virtual threads' carriers, which run the
     * controller's handlers, the worker's I/O and the load's callers alike, with threads that ended during
     * the measure. The load's own gRPC client ("floe-client") is left out.
     */
    static String group(String thread) {
        if (thread.startsWith("floe-controller")) {
            return "controller";
        }
        if (thread.startsWith("floe-worker") || thread.startsWith("floe-spawner") || thread.startsWith("floe-tmp")
                || thread.startsWith("process reaper")) {
            return "worker";
        }
        if (thread.startsWith("floor")) {
            return "floor";
        }
        if (thread.startsWith("floe-client")) {
            return "client";
        }
        return "shared";
    }

    private static String[] row(int functions, int callers, Step floe, Step bare) {
        LoadReport f = floe.report();
        LoadReport b = bare.report();
        return new String[] {Integer.toString(functions), Integer.toString(callers),
                num(f.throughput(), 0), num(b.throughput(), 0), pct(f.throughput() / b.throughput()),
                num(f.latencyMs(50), 2), num(f.latencyMs(99), 2), num(f.latencyMs(99.9), 2),
                num(b.latencyMs(50), 2), num(b.latencyMs(99), 2), num(b.latencyMs(99.9), 2),
                Long.toString(f.coldStarts() == null ? 0 : f.coldStarts()), Long.toString(f.errorCount()),
                errors(f),
                num(floe.perInvocationUs(floe.controllerMs()), 0), num(floe.perInvocationUs(floe.workerMs()), 0),
                num(floe.perInvocationUs(floe.runtimeMs()), 0), num(floe.perInvocationUs(floe.sharedMs()), 0),
                num(floe.perInvocationUs(floe.controllerMs() + floe.workerMs() + floe.runtimeMs() + floe.sharedMs()), 0),
                num(bare.perInvocationUs(bare.sharedMs()), 0), num(bare.perInvocationUs(bare.runtimeMs()), 0),
                num(bare.perInvocationUs(bare.sharedMs() + bare.runtimeMs()), 0)};
    }

    private static void print(PrintStream out, List<String[]> rows) {
        out.printf(Locale.ROOT, "Floe %s on %d cores; closed loop over gRPC, echo-python at %d MB; latency in ms, CPU in µs per invocation%n",
                dev.floe.launcher.Floe.version(), Runtime.getRuntime().availableProcessors(), FUNCTION_MB);
        String format = "%5s %7s | %8s %8s %5s | %7s %7s %7s | %7s %7s %7s | %5s %6s %s%n";
        out.printf(Locale.ROOT, format, "FUNCS", "CALLERS", "FLOE/s", "FLOOR/s", "RATIO", "p50", "p99", "p99.9",
                "FLR p50", "FLR p99", "p99.9", "COLD", "ERRORS", "");
        for (String[] r : rows) {
            out.printf(Locale.ROOT, format, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], "");
        }
        for (String[] r : rows) {
            if (!r[13].isEmpty()) {
                out.printf(Locale.ROOT, "errors at %s function(s), %s callers: %s%n", r[0], r[1], r[13]);
            }
        }
        out.println();
        out.println("CPU per invocation (µs): Floe by controller threads, worker threads, runtimes, shared JVM (GC, JIT, virtual-thread");
        out.println("carriers, load callers); floor by relay and worker threads with the shared JVM, runtimes");
        String cpu = "%5s %7s | %6s %6s %6s %6s %6s | %11s %6s %6s%n";
        out.printf(Locale.ROOT, cpu, "FUNCS", "CALLERS", "CTL", "WORKER", "RUNTM", "SHARED", "FLOE", "FLOOR JVM", "RUNTM", "FLOOR");
        for (String[] r : rows) {
            out.printf(Locale.ROOT, cpu, r[0], r[1], r[14], r[15], r[16], r[17], r[18], r[19], r[20], r[21]);
        }
    }

    private static String errors(LoadReport report) {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(report.errors()).forEach((type, n) -> b.append(b.isEmpty() ? "" : "; ").append(n).append(' ')
                .append(type).append(report.examples().containsKey(type) ? " (e.g. " + report.examples().get(type) + ")" : ""));
        return b.toString();
    }

    private static String num(double v, int decimals) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String pct(double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-" : String.format(Locale.ROOT, "%.0f%%", ratio * 100);
    }

    private static List<Integer> list(Args args, String name, String fallback, int min, int max) {
        List<Integer> values = new ArrayList<>();
        for (String part : args.value(name, fallback).split(",")) {
            try {
                int n = Integer.parseInt(part.strip());
                if (n < min || n > max) {
                    throw new UsageException("--" + name + ": " + n + " (expected: " + min + ".." + max + ")");
                }
                values.add(n);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + ": \"" + part + "\" (expected: whole numbers separated by commas)");
            }
        }
        return values;
    }
}
