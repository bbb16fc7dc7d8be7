package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.chaos.ChaosNetwork;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
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
 * PATH, authenticated to each other by certificates made with the release's {@code floe tls}; functions
 * are created and invoked from the machine's own namespace with the release's command line, and run warm
 * on every worker.
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
            List<String> client = List.of("--endpoint", endpoint, "--token-file", token.toString(), "--tls-ca", tls.resolve("ca.pem").toString());
            Await.until(Duration.ofSeconds(120), WORKERS + " workers registered over TLS", () -> {
                try {
                    Release.Run workers = release.floe(Duration.ofSeconds(60), with(client, "workers", "--json"));
                    return workers.status() == 0 && workers.output().split("\"READY\"", -1).length - 1 == WORKERS;
                } catch (Exception e) {
                    return false;
                }
            });

            Set<String> warmOn = new HashSet<>();
            for (int f = 0; f < WORKERS; f++) {
                String name = "hello-" + f;
                assertOk(release.floe(Duration.ofSeconds(60), with(client, "fn", "create", name, "--code",
                        release.home().resolve("examples/hello").toString(), "--handler", "hello.handler", "--memory", "128")));
                JsonObject cold = invoke(release, client, name);
                assertTrue(cold.get("cold").getAsBoolean(), cold.toString());
                for (int call = 2; call <= 3; call++) {
                    JsonObject warm = invoke(release, client, name);
                    assertFalse(warm.get("cold").getAsBoolean(), "call " + call + " of " + name + " is warm: " + warm);
                    assertEquals(cold.get("environmentId"), warm.get("environmentId"), warm.toString());
                    assertEquals(call, JsonParser.parseString(warm.get("payload").getAsString()).getAsJsonObject().get("invocation").getAsInt());
                    warmOn.add(warm.get("workerId").getAsString());
                }
            }
            assertEquals(Set.of("w0", "w1", "w2"), warmOn, "each worker, named by its certificate, ran warm invocations");

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

    private static JsonObject invoke(Release release, List<String> client, String name) throws Exception {
        Release.Run run = release.floe(Duration.ofSeconds(60), with(client, "invoke", name, "--json"));
        assertOk(run);
        return JsonParser.parseString(run.output()).getAsJsonObject();
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
