package dev.floe.bench;

import dev.floe.launcher.LocalFleet;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.common.CodePackages;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.worker.runtime.ManagedRuntime;
import dev.floe.worker.runtime.Runtimes;
import dev.floe.worker.runtime.WarmupHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code floe bench-runtimes}: cold and warm starts of each managed runtime beside its floors: the
 * language's bare process start ({@code python3 -c pass}, {@code node -e 0}, {@code java -version} with
 * the runtime's JVM options), and the same runtime client started plainly against a bare Runtime API
 * (spawn to first {@code next}), and, warm, served by a bare worker behind a gRPC relay.
 */
final class RuntimeBenchmark {
    private static final byte[] EVENT = "{\"hello\":\"floe\"}".getBytes(StandardCharsets.UTF_8);

    private RuntimeBenchmark() {}

    /** One runtime's function, as a user would write it. */
    private record Subject(String label, ManagedRuntime runtime, String handler, byte[] code, List<String> bare) {}

    static FloeCommand command() {
        return FloeCommand.named("bench-runtimes").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-runtimes [--warm N] [--cold N]")
                .summary("each managed runtime's cold and warm starts beside its floors")
                .options(new Args.Spec()
                        .value("warm", "N", "warm invocations per runtime, 10..100000 (default 200)")
                        .value("cold", "N", "cold starts per runtime, 2..1000 (default 5)"))
                .runs(RuntimeBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        int warm = args.integer("warm", 10, 100_000, 200);
        int cold = args.integer("cold", 2, 1_000, 5);
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-runtimes-");
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        try (Runtimes plain = Runtimes.install(data.resolve("floor-runtimes"), background)) {
            return measure(cli, data, plain, warm, cold);
        } finally {
            background.close();
            dev.floe.common.FileTrees.delete(data);
        }
    }

    private static int measure(Cli cli, Path data, Runtimes plain, int warm, int cold) throws Exception {
        PrintStream log = cli.err();
        List<Subject> subjects = subjects(plain);
        Map<String, double[]> rows = new LinkedHashMap<>();
        log.println("bench-runtimes: " + cold + " cold and " + warm + " warm invocations per runtime, each beside its floor");
        try (LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(8192)
                .start().awaitRegistered(Duration.ofSeconds(30));
             FloeClient client = fleet.client()) {
            Path archive = data.resolve("fleet/workers").resolve(fleet.workers().getFirst().id()).resolve("runtimes/java/runtime.aot");
            int n = 0;
            for (Subject s : subjects) {
                log.println("  " + s.label() + "...");
                if (s.runtime() == ManagedRuntime.JAVA25 && s.label().contains("archive")) {
                    awaitFile(archive, Duration.ofSeconds(120));
                }
                FunctionConfig config = FunctionConfig.newBuilder().setRuntime(s.runtime().wireName())
                        .setHandler(s.handler()).setMemoryMb(512).setTimeoutSeconds(30).build();
                long[] init = new long[cold];
                long[] coldRtt = new long[cold];
                String warmName = null;
                for (int i = 0; i < cold; i++) {
                    String name = "f" + n++;
                    client.createFunction(name, s.code(), config);
                    long start = System.nanoTime();
                    InvokeResponse response = client.invoke(request(name));
                    coldRtt[i] = System.nanoTime() - start;
                    check(s, response);
                    init[i] = (long) (response.getInitDurationMs() * 1e6);
                    warmName = name;
                }
                long[] warmRtt = new long[warm];
                for (int i = 0; i < warm; i++) {
                    long start = System.nanoTime();
                    check(s, client.invoke(request(warmName)));
                    warmRtt[i] = System.nanoTime() - start;
                }
                long[] bare = bareStarts(s.bare(), cold);
                Path bootstrap = plainBootstrap(data, plain, s);
                long[] floorWarm = new long[warm];
                long[] floorStarts;
                if (s.runtime() == ManagedRuntime.JAVA25 && s.label().contains("archive")) {
                    plain.makeJavaClassArchive();
                    bootstrap = plainBootstrap(data, plain, s);
                }
                try (Floors.Pipeline floor = new Floors.Pipeline(bootstrap, cold, EVENT)) {
                    floorStarts = floor.startNanos();
                    for (int i = 0; i < warm; i++) {
                        long start = System.nanoTime();
                        floor.invokeRelayed();
                        floorWarm[i] = System.nanoTime() - start;
                    }
                }
                rows.put(s.label(), new double[] {
                        Benchmark.p(init, 50), Benchmark.p(floorStarts, 50), Benchmark.p(bare, 50),
                        Benchmark.p(coldRtt, 50), Benchmark.p(warmRtt, 50), Benchmark.p(warmRtt, 99),
                        Benchmark.p(floorWarm, 50), Benchmark.p(floorWarm, 99)});
            }
        }
        PrintStream out = cli.out();
        out.printf(Locale.ROOT, "Floe %s on %d cores; p50 unless said; times in ms%n", dev.floe.launcher.Floe.version(),
                Runtime.getRuntime().availableProcessors());
        String format = "%-26s %10s %10s %10s %10s  %9s %9s %9s %9s%n";
        out.printf(format, "RUNTIME", "INIT", "INIT FLOOR", "BARE START", "COLD RTT", "WARM p50", "WARM p99", "FLOOR p50",
                "FLOOR p99");
        for (var row : rows.entrySet()) {
            double[] v = row.getValue();
            out.printf(Locale.ROOT, format, row.getKey(), ms(v[0]), ms(v[1]), ms(v[2]), ms(v[3]), ms(v[4]), ms(v[5]),
                    ms(v[6]), ms(v[7]));
        }
        out.println("INIT: the worker's Init Duration (spawn in the sandbox -> the runtime's first next).");
        out.println("INIT FLOOR: the same runtime client and interpreter started plainly against a bare Runtime API.");
        out.println("BARE START: the language's bare process, start to exit (python3 -c pass, node -e 0, java -version).");
        out.println("COLD RTT: a new function's first invocation through the controller; WARM: back to back, beside a"
                + " bare worker behind a gRPC relay serving the same runtime (FLOOR).");
        return 0;
    }

    private static List<Subject> subjects(Runtimes plain) throws IOException {
        List<Subject> subjects = new ArrayList<>();
        Path python = plain.interpreters().get(ManagedRuntime.PYTHON3);
        Path node = plain.interpreters().get(ManagedRuntime.NODEJS);
        Path java = plain.interpreters().get(ManagedRuntime.JAVA25);
        if (python != null) {
            subjects.add(new Subject("python3", ManagedRuntime.PYTHON3, "app.handler", CodePackages.zipFiles(Map.of("app.py",
                    "def handler(event, context):\n    return event\n")), List.of(python.toString(), "-c", "pass")));
        }
        if (node != null) {
            subjects.add(new Subject("nodejs", ManagedRuntime.NODEJS, "app.handler", CodePackages.zipFiles(Map.of("app.js",
                    "exports.handler = async (event) => event;\n")), List.of(node.toString(), "-e", "0")));
        }
        if (java != null) {
            byte[] code = CodePackages.zip(List.of(classEntry(WarmupHandler.class)));
            List<String> bare = List.of(java.toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-XX:-UsePerfData", "-version");
            String handler = WarmupHandler.class.getName() + "::handle";
            subjects.add(new Subject("java25", ManagedRuntime.JAVA25, handler, code, bare));
            subjects.add(new Subject("java25 (class archive)", ManagedRuntime.JAVA25, handler, code, bare));
        }
        return subjects;
    }

    /** A bootstrap that starts the runtime as the worker would, without the sandbox: for the floor. */
    private static Path plainBootstrap(Path data, Runtimes plain, Subject s) throws IOException {
        Path dir = Files.createDirectories(data.resolve("floor").resolve(s.label().replaceAll("[^a-z0-9]", "-")));
        Path task = Files.createDirectories(dir.resolve("task"));
        dev.floe.worker.code.PackageUnpacker unpacker = new dev.floe.worker.code.PackageUnpacker(1L << 28, 1000);
        boolean empty;
        try (var entries = Files.list(task)) {
            empty = entries.findAny().isEmpty();
        }
        if (empty) {
            Path zip = dir.resolve("code.zip");
            Files.write(zip, s.code());
            unpacker.unpack(zip, task);
        }
        Runtimes.Launch launch = plain.launch(s.runtime(), plain.directoryOf(s.runtime()), task, s.handler(), 512);
        // In the task root, as in an environment: the Java runtime interface client loads the handler from there.
        StringBuilder script = new StringBuilder("#!/bin/sh\ncd '").append(task).append("'\n");
        script.append("export _HANDLER='").append(s.handler()).append("' LAMBDA_TASK_ROOT='").append(task).append("'");
        script.append(" AWS_LAMBDA_FUNCTION_NAME=floor AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 AWS_LAMBDA_FUNCTION_VERSION=1\n");
        for (var v : launch.variables().entrySet()) {
            script.append("export ").append(v.getKey()).append("='").append(v.getValue()).append("'\n");
        }
        script.append("exec");
        for (String word : launch.command()) {
            script.append(" '").append(word).append("'");
        }
        script.append('\n');
        Path bootstrap = dir.resolve("bootstrap");
        Files.writeString(bootstrap, script);
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bootstrap;
    }

    /** Waits for the worker's class archive, which its first java cold start asked for. */
    private static void awaitFile(Path file, Duration timeout) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.isRegularFile(file)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the worker made no class archive within " + timeout.toSeconds() + " s: " + file);
            }
            Thread.sleep(50);
        }
    }

    private static long[] bareStarts(List<String> command, int times) throws Exception {
        long[] nanos = new long[times];
        for (int i = 0; i < times; i++) {
            long start = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not exit within 60 s");
            }
            nanos[i] = System.nanoTime() - start;
        }
        return nanos;
    }

    private static InvokeRequest request(String function) {
        return InvokeRequest.newBuilder().setFunction(function).setPayload(ByteString.copyFrom(EVENT)).build();
    }

    private static void check(Subject s, InvokeResponse response) {
        if (!response.getFunctionError().isEmpty()) {
            throw new IllegalStateException(s.label() + " failed: " + response.getPayload().toStringUtf8());
        }
    }

    private static CodePackages.Entry classEntry(Class<?> type) throws IOException {
        String name = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(name)) {
            return new CodePackages.Entry(name, in.readAllBytes(), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.1f", millis);
    }
}
