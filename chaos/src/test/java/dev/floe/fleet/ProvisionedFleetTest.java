package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Provisioned concurrency on a fleet of three workers: `floe fn update NAME --provisioned N` keeps N
 * environments initialized and frozen, spread across the workers, and a worker's share moves to the
 * others when it leaves.
 */
class ProvisionedFleetTest {
    private FleetFixture fleet;

    @BeforeEach
    void start() throws Exception {
        fleet = new FleetFixture(3, 1024, UnaryOperator.identity());
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    private List<Environment> ready(String function) {
        return fleet.environments(function).stream()
                .filter(e -> e.getProvisioned() && e.getState() == Environment.State.FROZEN).toList();
    }

    @Test
    void provisionedEnvironmentsAreInitializedSpreadAndReplacedWhenAWorkerLeaves() throws Exception {
        fleet.createProbe("steady", FunctionConfig.newBuilder());

        FleetFixture.Result set = fleet.floe("fn", "update", "steady", "--provisioned", "3");
        assertEquals(0, set.status(), set.err());
        assertEquals(1, fleet.client.getFunction("steady").getRevision(), "no new revision");

        Await.until(Duration.ofSeconds(30), "three provisioned environments, frozen", () -> ready("steady").size() == 3);
        List<Environment> provisioned = ready("steady");
        assertEquals(3, provisioned.stream().map(Environment::getWorkerId).distinct().count(), "one per worker: " + provisioned);
        assertTrue(provisioned.stream().allMatch(e -> e.getInvocations() == 0), "init only");

        InvokeResponse first = fleet.invoke("steady", "{\"op\":\"count\"}");
        assertFalse(first.getCold(), "the first invocation is warm");

        String leaving = provisioned.getFirst().getWorkerId();
        fleet.fleet.workers().stream().filter(w -> w.id().equals(leaving)).findFirst().orElseThrow().close();

        Await.until(Duration.ofSeconds(30), "three again on the two workers left", () -> {
            List<Environment> now = ready("steady");
            Set<String> workers = now.stream().map(Environment::getWorkerId).collect(Collectors.toSet());
            return now.size() == 3 && !workers.contains(leaving);
        });

        assertEquals(0, fleet.floe("fn", "update", "steady", "--provisioned", "0").status());
        Await.until(Duration.ofSeconds(30), "released", () -> fleet.environments("steady").stream().noneMatch(Environment::getProvisioned));
    }
}
