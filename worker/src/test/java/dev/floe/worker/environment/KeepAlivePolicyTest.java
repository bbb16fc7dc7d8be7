package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeepAlivePolicyTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void anEnvironmentExpiresExactlyAtItsIdleTimeout() {
        KeepAlivePolicy policy = KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10));
        KeepAlivePolicy.IdleEnvironment idle = new KeepAlivePolicy.IdleEnvironment("e", "r", 128, 100 * SECOND, 3, 50);

        assertFalse(policy.expired(idle, 100 * SECOND + 599 * SECOND));
        assertTrue(policy.expired(idle, 100 * SECOND + 600 * SECOND));
    }

    @Test
    void theLeastRecentlyUsedIsTheLeastValuable() {
        KeepAlivePolicy policy = KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10));
        List<KeepAlivePolicy.IdleEnvironment> idle = new ArrayList<>(List.of(
                new KeepAlivePolicy.IdleEnvironment("recent", "r1", 128, 30 * SECOND, 1, 0),
                new KeepAlivePolicy.IdleEnvironment("oldest", "r2", 128, 10 * SECOND, 100, 0),
                new KeepAlivePolicy.IdleEnvironment("middle", "r3", 128, 20 * SECOND, 5, 0)));

        idle.sort(policy.leastValuableFirst());

        assertEquals(List.of("oldest", "middle", "recent"), idle.stream().map(KeepAlivePolicy.IdleEnvironment::id).toList());
    }
}
