package dev.floe.fleet;

import dev.floe.launcher.Floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.ErrorType;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a controller running in its own process, while users queue asynchronous
 * invocations and the dispatcher runs them, loses nothing it accepted: after a restart on the same
 * data the functions are all there, and every accepted invocation ran at least once, as the
 * function's own records (a line per run, appended to a file outside its sandbox) show.
 */
class ControllerKillTest {
    private static final int BATCHES = 10;
    private static final int PER_BATCH = 10;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void everyAcceptedAsyncInvocationRunsAtLeastOnceAcrossAKill() throws Exception {
        Path data = TestDirs.create("kill");
        Path records = Files.createDirectories(data.resolve("records"));
        // The function runs as its own unprivileged user: it must be able to reach and append to the record.
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path record = Files.createFile(records.resolve("runs"));
        // Each environment has a user of its own: all of them append to the one record.
        Files.setPosixFilePermissions(record, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path tokenFile = data.resolve("token");
        int port = freePort();
        HostPort endpoint = new HostPort("127.0.0.1", port);
        Process controller = startController(data, port, tokenFile);
        Worker worker = null;
        try {
            Await.until(WAIT, "the controller makes its token", () -> Files.exists(tokenFile));
            ClusterToken token = ClusterToken.read(tokenFile);
            try (FloeClient probe = FloeClient.connect(endpoint, token)) {
                Await.until(WAIT, "the controller serves", () -> {
                    try {
                        return probe.listFunctions().isEmpty();
                    } catch (FloeException notYet) {
                        return false;
                    }
                });
            }
            worker = Worker.builder().id("kill-worker").controller(endpoint).token(token).listenHost("127.0.0.1")
                    .memoryMb(1024).dataDir(data.resolve("worker"))
                    .sandbox(dev.floe.worker.sandbox.Sandbox.Options.defaults().withWritable(List.of(records))).build().start();
            Await.until(WAIT, "the worker registers", worker::registered);

            Map<String, String> keyOf = new LinkedHashMap<>();
            Function created;
            try (FloeClient client = FloeClient.connect(endpoint, token)) {
                created = client.createFunction("recorder", ProbeFunction.zip(),
                        FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").setTimeoutSeconds(30).build());
                int killAfter = BATCHES / 2;
                for (int b = 0; b < BATCHES; b++) {
                    if (b == killAfter) {
                        // Asynchronous invocations take the fleet's room as synchronous ones do (as in Lambda,
                        // where they share the function's concurrency): let the first half finish, so that
                        // the synchronous call finds room, then queue more to keep the dispatcher busy.
                        Await.until(WAIT, "the first half ran", () -> ran(record).containsAll(keyOf.values()));
                        // A synchronous call in flight: it must fail cleanly, not wait for its deadline.
                        CompletableFuture<FloeException> inFlight = CompletableFuture.supplyAsync(() -> {
                            try {
                                client.invoke("recorder", "{\"op\":\"sleep\",\"seconds\":25}".getBytes(StandardCharsets.UTF_8), false);
                                return null;
                            } catch (FloeException e) {
                                return e;
                            }
                        });
                        Await.until(WAIT, "the synchronous call is running", () -> {
                            if (inFlight.isDone()) {
                                throw new AssertionError("the synchronous call ended before the kill: " + inFlight.join());
                            }
                            return workerBusy(client);
                        });
                        for (int extra = 0; extra < 2; extra++) {
                            List<ByteString> more = new ArrayList<>();
                            List<String> moreKeys = new ArrayList<>();
                            for (int i = 0; i < PER_BATCH; i++) {
                                moreKeys.add("x" + extra + "-" + i);
                                more.add(ByteString.copyFromUtf8("{\"op\":\"sh\",\"command\":\"echo " + moreKeys.getLast() + " >> " + record + "\"}"));
                            }
                            List<String> moreIds = client.invokeQueued("recorder", more);
                            for (int i = 0; i < moreIds.size(); i++) {
                                keyOf.put(moreIds.get(i), moreKeys.get(i));
                            }
                        }
                        // SIGKILL while the dispatcher is working through what was accepted so far.
                        long killed = System.nanoTime();
                        controller.destroyForcibly().waitFor();
                        FloeException cut = inFlight.get(10, TimeUnit.SECONDS);
                        assertEquals(ErrorType.SERVICE_UNAVAILABLE, cut.type(), "the caller learns the controller is gone: " + cut.getMessage());
                        System.out.printf("controller kill: the synchronous call in flight failed %d ms after the kill (%s)%n",
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed), cut.getMessage());
                        controller = startController(data, port, tokenFile);
                    }
                    List<String> keys = new ArrayList<>();
                    List<ByteString> payloads = new ArrayList<>();
                    for (int i = 0; i < PER_BATCH; i++) {
                        String key = "k" + b + "-" + i;
                        keys.add(key);
                        payloads.add(ByteString.copyFromUtf8("{\"op\":\"sh\",\"command\":\"echo " + key + " >> " + record + "\"}"));
                    }
                    List<String> ids = submitUntilAccepted(client, payloads);
                    for (int i = 0; i < ids.size(); i++) {
                        keyOf.put(ids.get(i), keys.get(i));
                    }
                }
            }

            try (FloeClient client = FloeClient.connect(endpoint, token)) {
                Function after = client.getFunction("recorder");
                assertEquals(created.getRevisionId(), after.getRevisionId(), "the function and its revision survived the kill");
                try {
                    Await.until(WAIT, "every accepted invocation ran", () -> ran(record).containsAll(keyOf.values()));
                } catch (AssertionError notAll) {
                    // say what became of the ones that did not run: their status, attempts and last error
                    Set<String> seen = ran(record);
                    StringBuilder why = new StringBuilder(notAll.getMessage());
                    keyOf.forEach((id, key) -> {
                        if (!seen.contains(key)) {
                            AsyncInvocation inv = client.invocation(id);
                            why.append("\n  ").append(key).append(": ").append(inv.getStatus()).append(", attempts ")
                                    .append(inv.getAttempts()).append(", ").append(inv.getErrorType()).append(' ').append(inv.getErrorMessage());
                        }
                    });
                    throw new AssertionError(why.toString(), notAll);
                }
                Await.until(WAIT, "every accepted invocation is recorded as succeeded", () -> keyOf.keySet().stream()
                        .allMatch(id -> client.invocation(id).getStatus() == AsyncInvocation.Status.SUCCEEDED));
                List<String> lines = Files.readAllLines(record);
                long duplicates = lines.size() - new HashSet<>(lines).size();
                System.out.printf("controller kill: accepted %d, ran %d distinct, duplicated %d, lost 0%n",
                        keyOf.size(), new HashSet<>(lines).size(), duplicates);
                assertEquals((BATCHES + 2) * PER_BATCH, keyOf.size(), "every batch was accepted, before or after the kill");
            }
        } finally {
            Lifecycles.closeQuietly(worker);
            controller.destroy();
            if (!controller.waitFor(30, TimeUnit.SECONDS)) {
                controller.destroyForcibly().waitFor();
            }
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    /**
     * Queues the batch, retrying while the controller is down or restarting; a try that failed may
     * have been committed anyway, which only adds invocations nobody was told about.
     */
    private static List<String> submitUntilAccepted(FloeClient client, List<ByteString> payloads) {
        return Await.value(WAIT, "the controller accepts a batch", () -> {
            try {
                return client.invokeQueued("recorder", payloads);
            } catch (FloeException e) {
                return null;
            }
        });
    }

    private static boolean workerBusy(FloeClient client) {
        return client.environments("recorder").stream().anyMatch(e -> e.getState() == Environment.State.BUSY);
    }

    private static Set<String> ran(Path record) {
        try {
            return Files.exists(record) ? new HashSet<>(Files.readAllLines(record)) : Set.of();
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** The controller in a JVM of its own, as {@code floe controller} runs it. */
    private static Process startController(Path data, int port, Path tokenFile) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Floe.class.getName(), "controller", "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--data", data.resolve("controller").toString(), "--token-file", tokenFile.toString(),
                // A retried attempt (one that failed on a loaded machine) comes back within the test's waits, not a minute later.
                "--async-retry-delay", "2",
                // Any free port for the Lambda API: its default, the gRPC port + 1, may be taken.
                "--lambda-port", "0");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("controller.log").toFile()));
        // The controller keeps its Lambda API key and AWS profile in its home: the test's, not the user's.
        builder.environment().put("HOME", data.toString());
        return builder.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
