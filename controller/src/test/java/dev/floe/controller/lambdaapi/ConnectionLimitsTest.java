package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    @Test
    void defaultsAreThoseTheDocsGive() {
        assertEquals(new ConnectionLimits(Duration.ofSeconds(60), Duration.ofSeconds(30), 2_000), ConnectionLimits.DEFAULT);
    }

    @Test
    void badLimitsSayWhatWasExpected() {
        assertEquals("idleTimeout: PT0S (expected: a positive duration)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ZERO)).getMessage());
        assertEquals("readTimeout: PT-1S (expected: a positive duration)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withReadTimeout(Duration.ofSeconds(-1))).getMessage());
        assertEquals("maxConnections: 0 (expected: 1..1000000)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withMaxConnections(0)).getMessage());
    }
}
