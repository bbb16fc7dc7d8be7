package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.worker.sandbox.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Provisioned concurrency on one worker: environments initialized ahead of invocations, frozen, kept
 * whatever the keep-alive says, and replaced when lost. The keep-alive here is 300 ms, so anything
 * that outlives it was kept on purpose.
 */
class ProvisionedConcurrencyTest {

    private static PoolFixture fixture() throws java.io.IOException {
        return new PoolFixture(Sandbox.Options.defaults(), 1024, KeepAlivePolicy.idleTimeout(Duration.ofMillis(300)),
                Duration.ofMillis(20));
    }

    private static Set<String> provisioned(PoolFixture fixture, String function) {
        return fixture.pool.views().stream().filter(v -> v.function().equals(function) && v.provisioned())
                .map(EnvironmentView::id).collect(Collectors.toSet());
    }

    @Test
    void provisionedEnvironmentsRunInitAheadOfInvocationsAndOutliveTheKeepAlive() throws Exception {
        try (PoolFixture fixture = fixture()) {
            Function probe = fixture.probe("ready", FunctionConfig.newBuilder());

            assertEquals(2, fixture.pool.provision(probe, 2));

            Await.until(Duration.ofSeconds(20), "two provisioned environments, initialized and frozen", () -> {
                List<EnvironmentView> views = fixture.pool.views();
                return views.size() == 2 && views.stream().allMatch(v -> v.provisioned() && v.state() == EnvironmentState.FROZEN);
            });
            assertTrue(fixture.pool.views().stream().allMatch(v -> v.invocations() == 0), "init only: no invocation ran");
            Set<String> kept = provisioned(fixture, "ready");
            dev.floe.testing.Observe.unchangedFor(Duration.ofMillis(800), "the provisioned environments, past the keep-alive",
                    () -> provisioned(fixture, "ready"));

            InvocationResult first = fixture.invoke(probe, "{\"op\":\"count\"}");
            assertFalse(first.cold(), "the first invocation finds a provisioned environment");
            assertTrue(kept.contains(first.environmentId()));
            assertEquals(1.0, fixture.json(first).get("count"), "init ran once, then the handler");
        }
    }

    @Test
    void aLostProvisionedEnvironmentIsReplacedAndReleasingHandsThemToTheKeepAlive() throws Exception {
        try (PoolFixture fixture = fixture()) {
            Function probe = fixture.probe("resilient", FunctionConfig.newBuilder());
            fixture.pool.provision(probe, 1);
            Await.until(Duration.ofSeconds(20), "one provisioned environment", () -> provisioned(fixture, "resilient").size() == 1
                    && fixture.pool.views().getFirst().state() == EnvironmentState.FROZEN);
            String lost = provisioned(fixture, "resilient").iterator().next();

            InvocationResult crash = fixture.invoke(probe, "{\"op\":\"crash\",\"code\":3}");
            assertEquals("Runtime.ExitError", crash.errorType());
            assertEquals(lost, crash.environmentId());

            Await.until(Duration.ofSeconds(20), "a replacement, initialized", () -> {
                Set<String> now = provisioned(fixture, "resilient");
                return now.size() == 1 && !now.contains(lost) && fixture.pool.views().stream()
                        .anyMatch(v -> now.contains(v.id()) && v.state() == EnvironmentState.FROZEN);
            });

            assertEquals(0, fixture.pool.provision(probe, 0));
            Await.until(Duration.ofSeconds(10), "released, the keep-alive retires it", () -> fixture.pool.views().isEmpty());
        }
    }
}
