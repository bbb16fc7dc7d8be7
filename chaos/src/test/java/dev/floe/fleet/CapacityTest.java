package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A fleet with no room left refuses with Lambda's throttling error and loses nothing it accepted. */
class CapacityTest {

    @Test
    void aFullFleetThrottlesAndTheBusyInvocationsComplete() throws Exception {
        try (FleetFixture fleet = new FleetFixture(2, 128, UnaryOperator.identity())) {
            fleet.createProbe("busy", FunctionConfig.newBuilder().setTimeoutSeconds(30));
            // The busy invocations outlast the controller's wait for room (1 s) by far, so the third is
            // throttled however late a loaded machine sees both workers busy.
            String longSleep = "{\"op\":\"sleep\",\"seconds\":5}";
            CompletableFuture<InvokeResponse> one = CompletableFuture.supplyAsync(() -> fleet.invoke("busy", longSleep), FleetFixture.THREADS);
            CompletableFuture<InvokeResponse> two = CompletableFuture.supplyAsync(() -> fleet.invoke("busy", longSleep), FleetFixture.THREADS);
            Await.until(Duration.ofSeconds(10), "both workers busy", () -> fleet.environments("busy").stream()
                    .filter(e -> e.getState() == Environment.State.BUSY).count() == 2);

            FloeException throttled = assertThrows(FloeException.class, () -> fleet.invoke("busy", "{}"));

            assertEquals(ErrorType.TOO_MANY_REQUESTS, throttled.type());
            assertTrue(throttled.getMessage().toLowerCase().contains("retry"), throttled.getMessage());
            assertEquals("", one.join().getFunctionError());
            assertEquals("", two.join().getFunctionError());
            assertEquals("", fleet.invoke("busy", "{}").getFunctionError(), "with room again, invocations run");
        }
    }
}
