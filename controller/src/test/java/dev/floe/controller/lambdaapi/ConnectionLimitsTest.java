package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    @Test
    void defaultsAreThoseTheDocsGive() {
        assertEquals(new ConnectionLimits(Duration.ofSeconds(60), Duration.ofSeconds(30), 2_000), ConnectionLimits.DEFAULT);
        assertEquals(500, ConnectionLimits.DEFAULT.maxConnectionsPerAddress(), "a quarter per address: four addresses to hold them all");
        assertEquals(1, ConnectionLimits.DEFAULT.withMaxConnections(3).maxConnectionsPerAddress(), "at least one");
    }

    @Test
    void badLimitsSayWhatWasExpected() {
        assertEquals("idleTimeout: PT0S (expected: a positive duration)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ZERO)).getMessage());
        assertEquals("readTimeout: PT-1S (expected: a positive duration)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withReadTimeout(Duration.ofSeconds(-1))).getMessage());
        assertEquals("maxConnections: 0 (expected: 1..1000000)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withMaxConnections(0)).getMessage());
        assertEquals("maxConnectionsPerAddress: 2001 (expected: 1..2000)", assertThrows(IllegalArgumentException.class,
                () -> ConnectionLimits.DEFAULT.withMaxConnectionsPerAddress(2001)).getMessage());
    }
}
