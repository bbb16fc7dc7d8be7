package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.launcher.Floe;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issues 9 and 10 (item 9): {@code floe up} killed whole with SIGKILL, while its workers hold
 * environments whose runtimes started background processes in sessions of their own, leaves none of
 * their processes, loop devices or cgroups behind within 2 s, without any restart.
 */
class FleetKillTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void floeUpKilledWithSigkillLeavesNothingOfItsEnvironments() throws Exception {
        Path data = TestDirs.create("up-kill");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path tokenFile = data.resolve("token");
        int port = freePort();
        Process up = startUp(data, port, tokenFile);
        try {
            Await.until(WAIT, "floe up makes its token", () -> Files.exists(tokenFile));
            List<Long> pids = new ArrayList<>();
            List<String> environments = new ArrayList<>();
            try (FloeClient client = FloeClient.connect(new HostPort("127.0.0.1", port), ClusterToken.read(tokenFile))) {
                Await.until(WAIT, "both workers serve", () -> {
                    try {
                        return client.workers().size() == 2;
                    } catch (FloeException notYet) {
                        return false;
                    }
                });
                client.createFunction("spawner", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided")
                        .setHandler("probe.handler").setTimeoutSeconds(30).build());
                List<CompletableFuture<InvokeResponse>> calls = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    // The ticker writes in the environment's own /tmp: the rest of the machine is read-only to it.
                    String event = "{\"op\":\"spawn\",\"new_session\":true,\"path\":\"/tmp/ticks\"}";
                    calls.add(CompletableFuture.supplyAsync(() -> client.invoke("spawner",
                            event.getBytes(StandardCharsets.UTF_8), false)));
                }
                for (CompletableFuture<InvokeResponse> call : calls) {
                    InvokeResponse response = call.join();
                    @SuppressWarnings("unchecked")
                    Map<String, Object> answer = new Gson().fromJson(response.getPayload().toStringUtf8(), Map.class);
                    long inside = ((Number) answer.get("pid")).longValue();
                    pids.add(Processes.hostPid(response.getEnvironmentId(), inside));
                    environments.add(response.getEnvironmentId());
                }
                client.environments("spawner").forEach(env -> pids.add((long) env.getPid()));
            }
            assertTrue(pids.stream().allMatch(pid -> ProcessHandle.of(pid).isPresent()), "the runtimes and their background processes run");

            up.destroyForcibly();
            long killed = System.nanoTime();
            up.onExit().join();
            try {
                Await.until(Duration.ofSeconds(2), "no process, loop device or cgroup of the environments",
                        () -> pids.stream().noneMatch(FleetKillTest::alive) && loopDevicesUnder(data).isEmpty()
                                && environments.stream().allMatch(env -> cgroupsNamed(env).isEmpty()));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; alive " + pids.stream().filter(FleetKillTest::alive).map(Processes::describe).toList()
                        + ", loop devices " + loopDevicesUnder(data) + ", cgroups "
                        + environments.stream().flatMap(env -> cgroupsNamed(env).stream()).toList(), e);
            }
            System.out.printf("floe up SIGKILLed with %d environments: nothing left after %d ms%n", environments.size(),
                    (System.nanoTime() - killed) / 1_000_000);
        } finally {
            up.destroyForcibly();
            up.onExit().join();
            // The killed workers' entries in the machine's registry, as the next worker start would.
            dev.floe.worker.sandbox.Sandbox.removeLeftoversOfDeadWorkers();
            TestDirs.delete(data);
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && Processes.state(pid) != 'Z';
    }

    /** {@code floe up} in a JVM of its own, as the command line runs it. */
    private static Process startUp(Path data, int port, Path tokenFile) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Floe.class.getName(), "up", "--workers", "2", "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--data", data.resolve("fleet").toString(), "--token-file", tokenFile.toString(), "--lambda-port", "0");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("up.log").toFile()));
        builder.environment().put("HOME", data.toString());
        return builder.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<String> loopDevicesUnder(Path dir) {
        List<String> devices = new ArrayList<>();
        try (Stream<Path> blocks = Files.list(Path.of("/sys/block"))) {
            for (Path block : blocks.toList()) {
                try {
                    String backing = Files.readString(block.resolve("loop/backing_file")).trim();
                    if (backing.startsWith(dir.toString())) {
                        devices.add(block.getFileName() + " " + backing);
                    }
                } catch (IOException notLoop) {
                    // not an attached loop device
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return devices;
    }

    private static List<Path> cgroupsNamed(String name) {
        try (Stream<Path> found = Files.find(Path.of("/sys/fs/cgroup"), 6,
                (path, attributes) -> attributes.isDirectory() && path.getFileName().toString().equals(name))) {
            return found.toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(Path.of("unreadable: " + e.getMessage()));
        }
    }
}
