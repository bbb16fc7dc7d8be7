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
            EnvironmentState.STARTING, EnumSet.of(EnvironmentState.INITIALIZING, EnvironmentState.RETIRING),
            EnvironmentState.INITIALIZING, EnumSet.of(EnvironmentState.IDLE, EnvironmentState.RETIRING),
            EnvironmentState.IDLE, EnumSet.of(EnvironmentState.BUSY, EnvironmentState.FROZEN, EnvironmentState.RETIRING),
            EnvironmentState.BUSY, EnumSet.of(EnvironmentState.FINISHING, EnvironmentState.RETIRING),
            EnvironmentState.FINISHING, EnumSet.of(EnvironmentState.IDLE, EnvironmentState.RETIRING),
            EnvironmentState.FROZEN, EnumSet.of(EnvironmentState.BUSY, EnvironmentState.RETIRING),
            EnvironmentState.RETIRING, EnumSet.of(EnvironmentState.RETIRED),
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
    void everyStateHasTheSameNameOnTheWireButFinishingIsBusyAndRetiringRetired() {
        for (EnvironmentState state : EnvironmentState.values()) {
            String expected = switch (state) {
                case FINISHING -> "BUSY";
                case RETIRING -> "RETIRED";
                default -> state.name();
            };
            assertEquals(expected, state.toProto().name());
        }
    }

    @Test
    void theFleetHearsOfEveryStateButFinishingAndRetired() {
        for (EnvironmentState state : EnvironmentState.values()) {
            assertEquals(state != EnvironmentState.FINISHING && state != EnvironmentState.RETIRED, state.changesTheFleetView(),
                    state.name());
        }
    }

    @Test
    void onlyRetiringAndRetiredEnvironmentsAreEnding() {
        for (EnvironmentState state : EnvironmentState.values()) {
            assertEquals(state == EnvironmentState.RETIRING || state == EnvironmentState.RETIRED, state.isEnding(), state.name());
        }
    }
}
