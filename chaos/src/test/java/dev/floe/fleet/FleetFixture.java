package dev.floe.fleet;

import dev.floe.launcher.Floe;
import dev.floe.launcher.LocalFleet;
import com.google.gson.Gson;
import dev.floe.client.FloeClient;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A real local fleet for a test, a client to it, and the floe command line pointed at it. */
final class FleetFixture implements AutoCloseable {
    /** For concurrent calls: the common pool may have a single thread on a small machine. */
    static final java.util.concurrent.Executor THREADS = java.util.concurrent.Executors.newCachedThreadPool(
            Thread.ofPlatform().name("test-caller-", 0).daemon(true).factory());
    final Path data;
    /** A directory every function of the fleet may write (the rest of the machine is read-only to them): tests watch functions there. */
    final Path scratch;
    final LocalFleet fleet;
    final FloeClient client;

    FleetFixture(int workers, int workerMemoryMb, UnaryOperator<Worker.Builder> tuning) throws IOException {
        this(workers, workerMemoryMb, tuning, UnaryOperator.identity());
    }

    FleetFixture(int workers, int workerMemoryMb, UnaryOperator<Worker.Builder> tuning,
            UnaryOperator<dev.floe.controller.Controller.Builder> controllerTuning) throws IOException {
        this.data = TestDirs.create("fleet");
        this.scratch = Files.createDirectories(data.resolve("scratch"));
        // Functions run as users of their own: any of them may write here.
        Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        this.fleet = LocalFleet.builder().workers(workers).port(0).dataDir(data).workerMemoryMb(workerMemoryMb)
                .sandbox(dev.floe.worker.sandbox.Sandbox.Options.defaults().withWritable(List.of(scratch)))
                .workerTuning(tuning).controllerTuning(controllerTuning).start().awaitRegistered(Duration.ofSeconds(20));
        this.client = fleet.client();
        Await.until(Duration.ofSeconds(10), workers + " workers in the fleet view", () -> client.workers().size() == workers);
    }

    FleetFixture(int workers) throws IOException {
        this(workers, 1024, UnaryOperator.identity());
    }

    void createProbe(String name, FunctionConfig.Builder config) {
        client.createFunction(name, ProbeFunction.zip(), config.setRuntime("provided").setHandler("probe.handler").build());
    }

    InvokeResponse invoke(String name, String json) {
        return client.invoke(name, json.getBytes(StandardCharsets.UTF_8), false);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(InvokeResponse response) {
        return new Gson().fromJson(response.getPayload().toStringUtf8(), Map.class);
    }

    List<Environment> environments(String function) {
        return client.environments(function);
    }

    void awaitState(String environmentId, Environment.State state) {
        Await.until(Duration.ofSeconds(10), "environment " + environmentId + " " + state, () -> client.environments().stream()
                .anyMatch(e -> e.getId().equals(environmentId) && e.getState() == state));
    }

    /** Runs a floe command against this fleet, as a user would type it, with the controller's token file. */
    Result floe(String... args) {
        List<String> line = new java.util.ArrayList<>(List.of(args));
        line.addAll(List.of("--token-file", tokenFile().toString()));
        return floeWithEnv(Map.of(), line.toArray(String[]::new));
    }

    /** The key the fleet's Lambda API requires: the one its controller made on its first start. */
    dev.floe.controller.lambdaapi.LambdaCredentials.Key lambdaKey() {
        return fleet.controller().lambdaCredentials().first().orElseThrow();
    }

    /** Where the fleet's controller keeps the cluster token. */
    Path tokenFile() {
        return data.resolve("controller").resolve("token");
    }

    /**
     * Runs a floe command against this fleet with only {@code env} and a HOME of its own (no token
     * file there unless the test puts one), so that nothing of the machine's leaks in.
     */
    Result floeWithEnv(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] withEndpoint = new String[args.length + 2];
        System.arraycopy(args, 0, withEndpoint, 0, args.length);
        withEndpoint[args.length] = "--endpoint";
        withEndpoint[args.length + 1] = fleet.endpoint().toString();
        Map<String, String> vars = new java.util.HashMap<>(env);
        vars.putIfAbsent("HOME", data.resolve("home").toString());
        int status = Floe.cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), vars)
                .run(withEndpoint);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    record Result(int status, String out, String err) {}

    @Override
    public void close() {
        client.close();
        fleet.close();
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        for (Worker worker : fleet.workers()) {
            Processes.assertNoneLeft("floe/" + dev.floe.worker.sandbox.Sandbox.cgroupName(worker.id(),
                    data.resolve("workers").resolve(worker.id())) + "/", Duration.ofSeconds(10));
        }
        TestDirs.delete(data);
    }
}
