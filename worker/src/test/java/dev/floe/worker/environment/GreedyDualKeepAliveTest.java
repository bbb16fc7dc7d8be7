package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.worker.environment.KeepAlivePolicy.IdleEnvironment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GreedyDualKeepAliveTest {
    private static final long SECOND = 1_000_000_000L;

    private static IdleEnvironment env(String id, String revision, int memoryMb, long lastUsedS, double initMs) {
        return new IdleEnvironment(id, revision, memoryMb, lastUsedS * SECOND, 1, initMs);
    }

    private static List<String> order(KeepAlivePolicy policy, IdleEnvironment... idle) {
        List<IdleEnvironment> list = new ArrayList<>(List.of(idle));
        list.sort(policy.leastValuableFirst());
        return list.stream().map(IdleEnvironment::id).toList();
    }

    @Test
    void cheapLargeAndRarelyUsedEnvironmentsGoFirst() {
        GreedyDualKeepAlive policy = new GreedyDualKeepAlive(java.time.Duration.ofMinutes(10));
        IdleEnvironment large = env("large", "r1", 1024, 1, 100);
        IdleEnvironment costly = env("costly", "r2", 128, 1, 2000);
        IdleEnvironment frequent = env("frequent", "r3", 128, 1, 100);
        policy.idle(large, SECOND);
        policy.idle(costly, SECOND);
        for (int i = 0; i < 5; i++) {
            policy.idle(frequent, SECOND);
        }

        assertEquals(List.of("large", "frequent", "costly"), order(policy, costly, frequent, large),
                "priorities 100/1024, 5x100/128, 2000/128");
    }

    @Test
    void anEvictionRaisesTheClockSoLaterUsesOutrankEarlierOnes() {
        GreedyDualKeepAlive policy = new GreedyDualKeepAlive(java.time.Duration.ofMinutes(10));
        IdleEnvironment old = env("old", "r1", 128, 1, 1280);
        IdleEnvironment victim = env("victim", "r2", 128, 1, 640);
        policy.idle(old, SECOND);
        policy.idle(victim, SECOND);
        policy.evicted(victim);
        assertEquals(5.0, policy.clock(), 1e-9);

        IdleEnvironment fresh = env("fresh", "r3", 128, 2, 700);
        policy.idle(fresh, 2 * SECOND);
        assertEquals(List.of("old", "fresh"), order(policy, fresh, old),
                "old: 0 + 10 = 10; fresh, cheaper but used after the eviction: 5 + 5.47 = 10.47");
    }

    @Test
    void aRevisionWithoutEnvironmentsStartsItsFrequencyAfresh() {
        GreedyDualKeepAlive policy = new GreedyDualKeepAlive(java.time.Duration.ofMinutes(10));
        IdleEnvironment e = env("e", "r", 100, 1, 100);
        policy.idle(e, SECOND);
        policy.idle(e, SECOND);
        assertEquals(2.0, policy.priority(e), 1e-9);
        policy.retired("e", "r");
        IdleEnvironment again = env("again", "r", 100, 1, 100);
        policy.idle(again, SECOND);
        assertEquals(1.0, policy.priority(again), 1e-9);
    }

    @Test
    void theIdleCapRetiresWithoutPressure() {
        KeepAlivePolicy policy = KeepAlivePolicy.parse("greedy-dual:2m");
        IdleEnvironment e = env("e", "r", 128, 100, 50);
        policy.idle(e, 100 * SECOND);

        assertFalse(policy.expired(e, 219 * SECOND));
        assertTrue(policy.expired(e, 220 * SECOND));
    }

    @Test
    void policiesByName() {
        assertEquals("fixed:10m", KeepAlivePolicy.parse("fixed").toString());
        assertEquals("fixed:90s", KeepAlivePolicy.parse("fixed:90s").toString());
        assertEquals("greedy-dual:1h", KeepAlivePolicy.parse("greedy-dual:60m").toString());
        assertEquals("greedy-dual:10m", KeepAlivePolicy.parse("greedy-dual").toString());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> KeepAlivePolicy.parse("lru"));
        assertEquals("keep-alive: \"lru\" (expected: fixed[:DURATION], greedy-dual[:DURATION] or hybrid-histogram[:DURATION], e.g. fixed:10m)",
                unknown.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> KeepAlivePolicy.parse("fixed:10"));
        assertTrue(bad.getMessage().startsWith("keep-alive: \"fixed:10\" (expected a positive duration"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeepAlivePolicy.parse("fixed:0m"));
    }
}
