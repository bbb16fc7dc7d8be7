package dev.floe.worker.environment;

import dev.floe.common.EventLoops;
import dev.floe.common.FunctionLimits;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.code.CodeCache;
import dev.floe.worker.code.CodeSource;
import dev.floe.worker.code.PackageUnpacker;
import dev.floe.worker.runtimeapi.RuntimeApiServer;
import dev.floe.worker.sandbox.Sandbox;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A worker's environment pool on a real sandbox, with real runtime processes, for tests. Closing it
 * checks that no process it started is left.
 */
final class PoolFixture implements AutoCloseable {
    final Path data;
    final String workerId;
    final Path scratch;
    final Sandbox sandbox;
    final EnvironmentPool pool;
    final WorkerMetrics metrics;
    final dev.floe.worker.runtime.Runtimes runtimes;
    final List<EnvironmentView> events = new CopyOnWriteArrayList<>();
    private final Path packages;
    private final EventLoopGroup loops;
    private final ExecutorService blocking;

    PoolFixture(Sandbox.Options options, int budgetMb, KeepAlivePolicy keepAlive, Duration freezeGrace) throws IOException {
        this(options, budgetMb, keepAlive, freezeGrace, null, Duration.ofSeconds(60));
    }

    /** {@code code}: where packages come from; null for the fixture's own directory. */
    PoolFixture(Sandbox.Options options, int budgetMb, KeepAlivePolicy keepAlive, Duration freezeGrace, CodeSource code,
                Duration startTimeout) throws IOException {
        this.workerId = "test-" + UUID.randomUUID().toString().substring(0, 8);
        // Not under /tmp: environments have a private /tmp, and tests look at files the functions write.
        this.data = TestDirs.create(workerId);
        this.scratch = Files.createDirectories(data.resolve("scratch"));
        // Functions run as users of their own: they may write here, as tests ask them to.
        Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        this.packages = Files.createDirectories(data.resolve("packages"));
        this.loops = EventLoops.group("test-env", 2);
        this.blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("test-blocking-", 0).factory());
        // The one directory of the machine functions may write besides their own /tmp: tests watch them there.
        this.sandbox = Sandbox.open(workerId, data, options.withWritable(List.of(scratch)));
        CodeCache cache = new CodeCache(data.resolve("code"), code != null ? code : CodeSource.directory(packages),
                new PackageUnpacker(FunctionLimits.CODE_UNPACKED_MAX_BYTES, 10_000), 1L << 30, blocking,
                sandbox.codeDirectoryPermissions());
        this.metrics = new WorkerMetrics(new SimpleMeterRegistry(), workerId);
        EnvironmentHost host = new EnvironmentHost(workerId, "us-east-1", sandbox, cache, new RuntimeApiServer(blocking),
                blocking, sandbox.environmentsDir(), freezeGrace, Duration.ofSeconds(10), startTimeout,
                InstantSource.system(), System::nanoTime, metrics,
                runtimes = dev.floe.worker.runtime.Runtimes.install(data.resolve("runtimes"), blocking));
        this.pool = EnvironmentPool.builder()
                .host(host).loops(loops).memoryBudgetMb(budgetMb).keepAlive(keepAlive)
                .sweepInterval(Duration.ofMillis(50))
                .listener(events::add)
                .build();
    }

    static PoolFixture standard() throws IOException {
        return new PoolFixture(Sandbox.Options.defaults(), 2048, KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10)),
                Duration.ofMillis(20));
    }

    /** Deploys the probe function as a new revision with the given config changes. */
    Function probe(String name, FunctionConfig.Builder config) {
        return deploy(name, ProbeFunction.zip(), config);
    }

    Function deploy(String name, byte[] zip, FunctionConfig.Builder config) {
        String sha = ProbeFunction.sha256(zip);
        try {
            Files.write(packages.resolve(sha + ".zip"), zip);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (config.getRuntime().isEmpty()) {
            config.setRuntime("provided");
        }
        if (config.getHandler().isEmpty()) {
            config.setHandler("probe.handler");
        }
        return Function.newBuilder()
                .setName(name)
                .setRevision(1)
                .setRevisionId(UUID.randomUUID().toString())
                .setConfig(FunctionLimits.withDefaultsChecked(config.build()))
                .setCodeSha256(sha)
                .setCodeSize(zip.length)
                .build();
    }

    InvocationResult invoke(Function function, String json) {
        return invokeAsync(function, json, false).join();
    }

    java.util.concurrent.CompletableFuture<InvocationResult> invokeAsync(Function function, String json, boolean tail) {
        return invokeAsync(function, json, tail, UUID.randomUUID().toString());
    }

    java.util.concurrent.CompletableFuture<InvocationResult> invokeAsync(Function function, String json, boolean tail,
                                                                         String requestId) {
        return pool.invoke(function, new InvocationRequest(requestId, json.getBytes(StandardCharsets.UTF_8), tail, ""));
    }

    static String body(InvocationResult result) {
        return new String(result.payload(), StandardCharsets.UTF_8);
    }

    /** The latest reported state of an environment. */
    EnvironmentState stateOf(String environmentId) {
        EnvironmentState last = null;
        for (EnvironmentView v : events) {
            if (v.id().equals(environmentId)) {
                last = v.state();
            }
        }
        return last;
    }

    EnvironmentView lastView(String environmentId) {
        EnvironmentView last = null;
        for (EnvironmentView v : events) {
            if (v.id().equals(environmentId)) {
                last = v;
            }
        }
        return last;
    }

    void awaitState(String environmentId, EnvironmentState state) {
        Await.until(Duration.ofSeconds(10), "environment " + environmentId + " " + state,
                () -> stateOf(environmentId) == state);
    }

    /** Waits until an environment has asked for its next invocation (IDLE, or FROZEN after the grace). */
    void awaitWarm(String environmentId) {
        Await.until(Duration.ofSeconds(10), "environment " + environmentId + " warm",
                () -> stateOf(environmentId) != null && stateOf(environmentId).isWarm());
    }

    /** Waits until an environment of {@code function} is running an invocation. */
    void awaitBusy(Function function) {
        Await.until(Duration.ofSeconds(10), function.getName() + " busy", () -> events.stream()
                .anyMatch(v -> v.function().equals(function.getName()) && v.state() == EnvironmentState.BUSY));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> json(InvocationResult result) {
        return new com.google.gson.Gson().fromJson(body(result), Map.class);
    }

    @Override
    public void close() {
        pool.close();
        runtimes.close();
        sandbox.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.close();
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        Processes.assertNoneLeft("floe/" + Sandbox.cgroupName(workerId, data) + "/", Duration.ofSeconds(10));
        TestDirs.delete(data);
    }
}
