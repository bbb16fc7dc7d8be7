package dev.floe.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class FloeExceptionTest {
    @Test
    void theTypeAndMessageSurviveTheTripThroughAGrpcStatus() {
        FloeException sent = new FloeException(ErrorType.TOO_MANY_REQUESTS, "the fleet is full; retry later");

        FloeException received = FloeException.fromThrowable(sent.toStatus());

        assertEquals(ErrorType.TOO_MANY_REQUESTS, received.type());
        assertEquals("the fleet is full; retry later", received.getMessage());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, sent.toStatus().getStatus().getCode());
    }

    @Test
    void aThrottlesReasonAndRetryAfterSurviveTheTrip() {
        FloeException sent = new FloeException(ErrorType.TOO_MANY_REQUESTS, "Rate Exceeded", java.time.Duration.ofSeconds(1),
                FloeException.RESERVED_CONCURRENCY_REASON);

        FloeException received = FloeException.fromThrowable(sent.toStatus());

        assertEquals(java.util.Optional.of(FloeException.RESERVED_CONCURRENCY_REASON), received.reason());
        assertEquals(java.util.Optional.of(java.time.Duration.ofSeconds(1)), received.retryAfter());
        assertEquals(java.util.Optional.empty(), FloeException.fromThrowable(
                new FloeException(ErrorType.TOO_MANY_REQUESTS, "no reason").toStatus()).reason());
    }

    @Test
    void aStatusWithoutAFloeTypeIsClassifiedByItsCode() {
        assertEquals(ErrorType.SERVICE_UNAVAILABLE,
                FloeException.fromThrowable(Status.UNAVAILABLE.withDescription("down").asRuntimeException()).type());
        assertEquals(ErrorType.SERVICE_UNAVAILABLE, FloeException.fromThrowable(Status.DEADLINE_EXCEEDED.asRuntimeException()).type());
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, FloeException.fromThrowable(Status.NOT_FOUND.asRuntimeException()).type());
        assertEquals(ErrorType.SERVICE, FloeException.fromThrowable(new IllegalStateException("bug")).type());
    }
}
