package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.controller.cluster.Shards;
import dev.floe.launcher.Floe;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ListControllersResponse;
import dev.floe.testing.Await;
import dev.floe.testing.EtcdProcess;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A cluster of three controllers, each in a JVM of its own as {@code floe controller --etcd} runs it,
 * sharing a real etcd, and two workers given only the first controller's address: every controller
 * serves every function; {@code kill -9} of the controller owning a function moves the function to
 * another within the lease, its warm environment stays warm, and every asynchronous invocation
 * accepted before or after the kill runs.
 */
class ControllerClusterFleetTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int LEASE_S = 3;
    private static final int EVENTS = 20;

    @Test
    void killingAFunctionsOwnerMovesItWithinTheLeaseAndLosesNothingAccepted() throws Exception {
        Path data = TestDirs.create("cluster");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path records = Files.createDirectories(data.resolve("records"));
        Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path record = Files.createFile(records.resolve("runs"));
        Files.setPosixFilePermissions(record, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path tokenFile = data.resolve("token");
        ClusterToken token = ClusterToken.readOrCreate(tokenFile);
        Map<String, Process> controllers = new LinkedHashMap<>();
        Map<String, HostPort> endpoints = new LinkedHashMap<>();
        List<Worker> workers = new ArrayList<>();
        EtcdProcess etcd = EtcdProcess.start();
        try {
            for (String id : List.of("c1", "c2", "c3")) {
                int port = freePort();
                endpoints.put(id, new HostPort("127.0.0.1", port));
                controllers.put(id, startController(data, id, port, tokenFile, etcd));
            }
            for (String id : List.of("w1", "w2")) {
                workers.add(Worker.builder().id(id).controller(endpoints.get("c1")).token(token).listenHost("127.0.0.1")
                        .memoryMb(1024).dataDir(data.resolve(id))
                        // Functions see the machine read-only: the record is the one place shared with them.
                        .sandbox(dev.floe.worker.sandbox.Sandbox.Options.defaults().withWritable(List.of(records))).build().start());
            }
            try (FloeClient any = FloeClient.connect(List.copyOf(endpoints.values()), token)) {
                Await.until(WAIT, "three controllers holding the 64 shards", () -> settled(any, Set.of("c1", "c2", "c3")));
                Await.until(WAIT, "each worker linked to the three controllers, knowing only the first",
                        () -> workers.stream().allMatch(w -> w.controllers().size() == 3));

                FunctionConfig config = FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").setTimeoutSeconds(30).build();
                any.createFunction("recorder", ProbeFunction.zip(), config);
                String owner = ownerOf(any, "recorder");
                // A function of the same owner that only synchronous calls use: its warm environment is never
                // busy with the recorder's events when the failover is checked.
                String probe = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "probe-" + i)
                        .filter(n -> ownerOf(any, n).equals(owner)).findFirst().orElseThrow();
                any.createFunction(probe, ProbeFunction.zip(), config);

                // Through each controller: the owner places it, on one warm environment.
                Set<String> pids = new HashSet<>();
                for (HostPort e : endpoints.values()) {
                    try (FloeClient one = FloeClient.connect(e, token)) {
                        pids.add(pid(one.invoke(probe, "{\"op\":\"count\"}".getBytes(StandardCharsets.UTF_8), false)));
                    }
                }
                assertEquals(1, pids.size(), "three calls through three controllers, one after another, ran on one warm environment");

                String survivor = endpoints.keySet().stream().filter(id -> !id.equals(owner)).findFirst().orElseThrow();
                Map<String, String> keyOf = new LinkedHashMap<>();
                try (FloeClient through = FloeClient.connect(endpoints.get(survivor), token)) {
                    queue(through, "before", keyOf, record);
                    long killed = System.nanoTime();
                    controllers.remove(owner).destroyForcibly().waitFor();
                    Set<String> rest = new HashSet<>(endpoints.keySet());
                    rest.remove(owner);
                    Await.until(WAIT, "the two left holding the 64 shards", () -> settled(through, rest));
                    long movedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    System.out.printf("controller cluster: the killed owner's shards moved in %d ms (lease %d s)%n", movedMs, LEASE_S);
                    // The lease, etcd noticing its end (it checks about every 0.5 s) and a balance pass (0.5 s), with room for a loaded machine.
                    assertTrue(movedMs <= (LEASE_S + 3) * 1000L, "moved within the lease and a balance pass: " + movedMs + " ms");
                    queue(through, "after", keyOf, record);

                    InvokeResponse warm = through.invoke(probe, "{\"op\":\"count\"}".getBytes(StandardCharsets.UTF_8), false);
                    assertEquals(pids.iterator().next(), pid(warm), "the new owner finds the warm environment: no cold start");
                    try {
                        Await.until(WAIT, "every accepted invocation ran", () -> ran(record).containsAll(keyOf.values()));
                    } catch (AssertionError notAll) {
                        // say what became of the ones that did not run
                        StringBuilder why = new StringBuilder(notAll.getMessage());
                        Set<String> seen = ran(record);
                        keyOf.forEach((id, key) -> {
                            if (!seen.contains(key)) {
                                var inv = through.invocation(id);
                                why.append("\n  ").append(key).append(": ").append(inv.getStatus()).append(", attempts ")
                                        .append(inv.getAttempts()).append(", ").append(inv.getErrorType()).append(' ')
                                        .append(inv.getErrorMessage()).append(' ').append(inv.getResult().toStringUtf8());
                            }
                        });
                        throw new AssertionError(why.toString(), notAll);
                    }
                    assertFalse(keyOf.isEmpty());
                }
            }
        } finally {
            workers.forEach(Lifecycles::closeQuietly);
            for (Process p : controllers.values()) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
            etcd.close();
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private static void queue(FloeClient client, String label, Map<String, String> keyOf, Path record) {
        List<ByteString> payloads = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < EVENTS / 2; i++) {
            keys.add(label + "-" + i);
            payloads.add(ByteString.copyFromUtf8("{\"op\":\"sh\",\"command\":\"echo " + keys.getLast() + " >> " + record + "\"}"));
        }
        List<String> ids = client.invokeQueued("recorder", payloads);
        for (int i = 0; i < ids.size(); i++) {
            keyOf.put(ids.get(i), keys.get(i));
        }
    }

    private static String pid(InvokeResponse r) {
        String body = r.getPayload().toStringUtf8();
        int at = body.indexOf("\"pid\"");
        assertTrue(at >= 0, "a count answer: " + body);
        return body.substring(at).replaceAll("[^0-9]*([0-9]+).*", "$1");
    }

    private static String ownerOf(FloeClient client, String function) {
        int shard = Shards.shardOf(function);
        return client.controllers().getControllersList().stream().filter(c -> c.getShardsList().contains(shard))
                .map(c -> c.getMember().getId()).findFirst().orElseThrow();
    }

    private static boolean settled(FloeClient client, Set<String> ids) {
        try {
            ListControllersResponse r = client.controllers();
            Set<String> seen = new HashSet<>();
            int shards = 0;
            for (ControllerStatus c : r.getControllersList()) {
                seen.add(c.getMember().getId());
                shards += c.getShardsCount();
            }
            return seen.equals(ids) && shards == r.getShardCount();
        } catch (FloeException notNow) {
            return false;
        }
    }

    private static Set<String> ran(Path record) {
        try {
            return new HashSet<>(Files.readAllLines(record));
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** A controller of the cluster in a JVM of its own, as {@code floe controller --etcd} runs it. */
    private static Process startController(Path data, String id, int port, Path tokenFile, EtcdProcess etcd) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Floe.class.getName(), "controller", "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--data", data.resolve(id).toString(), "--token-file", tokenFile.toString(),
                "--etcd", etcd.endpoint().toString(), "--id", id, "--lease", Integer.toString(LEASE_S),
                "--async-retry-delay", "2", "--lambda-port", "0");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve(id + ".log").toFile()));
        builder.environment().put("HOME", data.toString());
        return builder.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
