package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.chaos.ChaosNetwork;
import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.CodePackages;
import dev.floe.common.HostPort;
import dev.floe.common.tls.ClusterTls;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.Worker;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Several machines, from the release: the network namespaces {@code floe chaos} builds, a controller in
 * one and three workers in others, each started from the unpacked release archive with no JDK on the
 * PATH, authenticated to each other by certificates made with the release's {@code floe tls}; from the
 * machine's own namespace, the release's command line and a program (the Java client) create and invoke
 * functions over TLS, and they run warm on every worker.
 */
class ReleaseClusterIT {
    private static final int WORKERS = 3;

    @Test
    void aControllerAndThreeWorkersInNamespacesOfTheirOwnServeWarmInvocationsOverMutualTls() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root");
        List<Process> nodes = new ArrayList<>();
        try (Release release = Release.unpack(); ChaosNetwork net = ChaosNetwork.open(true, WORKERS, true)) {
            assertTrue(net.namespaces(), "this machine lets root make network namespaces (ip netns, nsenter)");
            Path dir = release.dir();
            Path tls = dir.resolve("tls");
            String ctl = net.controllerHost();
            assertOk(release.floe(Duration.ofSeconds(120), "tls", "init", "--dir", tls.toString(), "--hosts", ctl));
            for (int i = 0; i < WORKERS; i++) {
                assertOk(release.floe(Duration.ofSeconds(120), "tls", "issue", "--dir", tls.toString(), "--name", "w" + i,
                        "--hosts", net.workerHost(i)));
            }
            Path token = dir.resolve("token");
            String endpoint = ctl + ":7070";
            nodes.add(release.startIn(net.inController(), dir.resolve("logs/controller.log"), "controller", "--host", ctl,
                    "--port", "7070", "--lambda-port", "0", "--data", dir.resolve("controller").toString(), "--token-file", token.toString(),
                    "--tls-dir", tls.toString()));
            Await.until(Duration.ofSeconds(90), "the controller makes the cluster token", () -> Files.exists(token));
            for (int i = 0; i < WORKERS; i++) {
                // 128 MB each: one environment fills a worker, so three functions need all three.
                nodes.add(release.startIn(net.inWorker(i), dir.resolve("logs/worker-" + i + ".log"), "worker", "--controller", endpoint,
                        "--memory", "128", "--listen", net.workerHost(i), "--advertise", net.workerHost(i), "--port", "0",
                        "--data", dir.resolve("worker-" + i).toString(), "--token-file", token.toString(),
                        "--tls-dir", tls.resolve("w" + i).toString()));
            }
            List<String> cli = List.of("--endpoint", endpoint, "--token-file", token.toString(), "--tls-ca", tls.resolve("ca.pem").toString());
            // The release's command line over TLS, as an operator would use it; then a program's calls through the Java client.
            try (FloeClient client = FloeClient.connect(HostPort.parse(endpoint), ClusterToken.read(token),
                    ClusterTls.fromFiles(tls.resolve("ca.pem"), null, null))) {
                Await.until(Duration.ofSeconds(180), WORKERS + " workers registered over TLS", () -> {
                    try {
                        return client.workers().stream().filter(w -> w.getState() == Worker.State.READY).count() == WORKERS;
                    } catch (RuntimeException notYet) {
                        return false;
                    }
                });
                assertOk(release.floe(Duration.ofSeconds(60), with(cli, "fn", "create", "hello-0", "--code",
                        release.home().resolve("examples/hello").toString(), "--handler", "hello.handler", "--memory", "128")));
                JsonObject first = JsonParser.parseString(release.floe(Duration.ofSeconds(60), with(cli, "invoke", "hello-0", "--json"))
                        .output()).getAsJsonObject();
                assertTrue(first.get("cold").getAsBoolean(), first.toString());

                Set<String> warmOn = new HashSet<>();
                byte[] code = CodePackages.zipDirectory(release.home().resolve("examples/hello"));
                for (int f = 0; f < WORKERS; f++) {
                    String name = "hello-" + f;
                    if (f > 0) {
                        client.createFunction(name, code, FunctionConfig.newBuilder().setRuntime("provided").setHandler("hello.handler")
                                .setMemoryMb(128).build());
                        assertTrue(client.invoke(name, new byte[0], false).getCold(), name + " starts cold");
                    }
                    // Warm from here: once the workers have reported the environment frozen, as floe envs shows it.
                    Await.until(Duration.ofSeconds(60), name + "'s environment frozen", () -> client.environments(name).stream()
                            .anyMatch(e -> e.getState() == dev.floe.proto.Environment.State.FROZEN));
                    for (int call = 2; call <= 3; call++) {
                        InvokeResponse warm = client.invoke(name, "{}".getBytes(StandardCharsets.UTF_8), false);
                        assertEquals("", warm.getErrorType(), warm.toString());
                        assertFalse(warm.getCold(), "call " + call + " of " + name + " is warm: " + warm);
                        assertEquals(call, JsonParser.parseString(warm.getPayload().toStringUtf8()).getAsJsonObject().get("invocation").getAsInt());
                        warmOn.add(warm.getWorkerId());
                    }
                }
                assertEquals(Set.of("w0", "w1", "w2"), warmOn, "each worker, named by its certificate, ran warm invocations");
            }

            Release.Run plaintext = release.floe(Duration.ofSeconds(60), "fn", "ls", "--endpoint", endpoint, "--token-file", token.toString());
            assertEquals(1, plaintext.status(), plaintext.output());
            assertTrue(plaintext.output().contains("speaks TLS and this command spoke plaintext"), plaintext.output());

            for (Process node : nodes.reversed()) {
                Release.stop(node);
            }
            Processes.assertNoneLeft(dir.toString(), Duration.ofSeconds(20));
        } finally {
            for (Process node : nodes) {
                node.destroyForcibly();
            }
        }
    }

    private static String[] with(List<String> options, String... command) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(options);
        return all.toArray(String[]::new);
    }

    private static void assertOk(Release.Run run) {
        assertEquals(0, run.status(), run.output());
    }
}
