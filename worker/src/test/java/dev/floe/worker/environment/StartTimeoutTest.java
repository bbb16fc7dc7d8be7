package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.worker.code.CodeSource;
import dev.floe.worker.sandbox.Sandbox;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** An environment that cannot get ready (its code never arrives) fails its invocation in bounded time and holds nothing. */
class StartTimeoutTest {

    @Test
    void aStartThatNeverCompletesFailsWithinTheLimitAndFreesItsMemory() throws Exception {
        CodeSource never = (sha, target) -> new CompletableFuture<>();
        try (PoolFixture fixture = new PoolFixture(Sandbox.Options.defaults(), 1024,
                KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10)), Duration.ofMillis(20), never, Duration.ofMillis(500))) {
            Function probe = fixture.probe("stuck", FunctionConfig.newBuilder());

            CompletionException failed = assertThrows(CompletionException.class, () -> fixture.invoke(probe, "{}"));

            FloeException cause = (FloeException) failed.getCause();
            assertEquals(ErrorType.SERVICE, cause.type());
            assertTrue(cause.getMessage().contains("did not start within 500 ms (fetching its code"), cause.getMessage());
            dev.floe.testing.Await.until(Duration.ofSeconds(5), "its memory is free again", () -> fixture.pool.memoryReservedMb() == 0);
        }
    }
}
