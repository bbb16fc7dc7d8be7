package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.controller.Controller;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A controller restart costs the fleet nothing it holds: the worker keeps its environments,
 * reconnects, re-reports them all, and the next invocations are warm.
 */
class ControllerRestartTest {
    private static final int FUNCTIONS = 6;

    @Test
    void aWorkerReRegistersWithEveryEnvironmentAndTheNextInvocationsAreWarm() throws Exception {
        Path data = TestDirs.create("restart");
        Controller first = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("controller")).build().start();
        int port = first.port();
        Controller second = null;
        ClusterToken token = first.token();
        Worker worker = Worker.builder().id("restart-worker").controller(new HostPort("127.0.0.1", port)).token(token)
                .listenHost("127.0.0.1").memoryMb(2048).dataDir(data.resolve("worker")).build().start();
        try {
            Map<String, String> environmentOf = new HashMap<>();
            try (FloeClient client = FloeClient.connect(new HostPort("127.0.0.1", port), token)) {
                // The controller tells the worker it is registered just before it enters the view: wait for the view.
                Await.until(Duration.ofSeconds(20), "the worker is in the controller's view", () -> client.workers().size() == 1);
                for (int i = 0; i < FUNCTIONS; i++) {
                    // Several environments, so that some share the event loop the link reconnects on.
                    client.createFunction("f" + i, ProbeFunction.zip(),
                            FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").build());
                    environmentOf.put("f" + i, invoke(client, "f" + i).getEnvironmentId());
                }
            }

            first.close();
            Await.until(Duration.ofSeconds(10), "the worker notices the controller is gone", () -> !worker.registered());
            second = Controller.builder().port(port).lambdaPort(0).bindHost("127.0.0.1").dataDir(data.resolve("controller")).build().start();

            assertEquals(token, second.token(), "the token is kept with the controller's data");
            Await.until(Duration.ofSeconds(20), "the worker registers again", worker::registered);
            try (FloeClient client = FloeClient.connect(new HostPort("127.0.0.1", port), token)) {
                Await.until(Duration.ofSeconds(10), "every environment is back in the view",
                        () -> client.environments().size() == FUNCTIONS);
                List<Environment> envs = client.environments();
                assertEquals(FUNCTIONS, envs.stream().map(Environment::getId).distinct().count(), "no duplicates");
                for (int i = 0; i < FUNCTIONS; i++) {
                    InvokeResponse after = invoke(client, "f" + i);
                    assertFalse(after.getCold(), "f" + i + " is warm after the restart");
                    assertEquals(environmentOf.get("f" + i), after.getEnvironmentId());
                    assertEquals(2.0, FleetFixture.json(after).get("count"), "and kept its state");
                }
            }
        } finally {
            Lifecycles.closeQuietly(worker);
            Lifecycles.closeQuietly(second);
            Lifecycles.closeQuietly(first);
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private static InvokeResponse invoke(FloeClient client, String function) {
        return client.invoke(function, "{\"op\":\"count\"}".getBytes(StandardCharsets.UTF_8), false);
    }
}
