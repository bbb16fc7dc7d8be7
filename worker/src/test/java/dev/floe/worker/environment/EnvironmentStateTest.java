package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The lifecycle's transition table, checked for every pair of states. */
class EnvironmentStateTest {
    private static final Map<EnvironmentState, Set<EnvironmentState>> ALLOWED = Map.of(
            EnvironmentState.STARTING, EnumSet.of(EnvironmentState.INITIALIZING, EnvironmentState.RETIRED),
            EnvironmentState.INITIALIZING, EnumSet.of(EnvironmentState.IDLE, EnvironmentState.RETIRED),
            EnvironmentState.IDLE, EnumSet.of(EnvironmentState.BUSY, EnvironmentState.FROZEN, EnvironmentState.RETIRED),
            EnvironmentState.BUSY, EnumSet.of(EnvironmentState.IDLE, EnvironmentState.RETIRED),
            EnvironmentState.FROZEN, EnumSet.of(EnvironmentState.BUSY, EnvironmentState.RETIRED),
            EnvironmentState.RETIRED, EnumSet.noneOf(EnvironmentState.class));

    @Test
    void everyPairOfStatesIsAllowedExactlyAsTheLifecycleSays() {
        for (EnvironmentState from : EnvironmentState.values()) {
            for (EnvironmentState to : EnvironmentState.values()) {
                boolean allowed = ALLOWED.get(from).contains(to);
                assertEquals(allowed, from.canBecome(to), from + " -> " + to);
                if (allowed) {
                    assertEquals(to, from.to(to));
                } else {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> from.to(to));
                    assertEquals("environment state " + from + " cannot become " + to, e.getMessage());
                }
            }
        }
    }

    @Test
    void onlyIdleAndFrozenEnvironmentsAreWarm() {
        for (EnvironmentState state : EnvironmentState.values()) {
            assertEquals(state == EnvironmentState.IDLE || state == EnvironmentState.FROZEN, state.isWarm(), state.name());
        }
    }

    @Test
    void everyStateHasTheSameNameOnTheWire() {
        for (EnvironmentState state : EnvironmentState.values()) {
            assertEquals(state.name(), state.toProto().name());
        }
    }
}
