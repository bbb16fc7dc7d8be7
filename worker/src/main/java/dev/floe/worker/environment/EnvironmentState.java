package dev.floe.worker.environment;

import dev.floe.proto.Environment;
import java.util.EnumSet;
import java.util.Set;

/**
 * An environment's lifecycle, as Lambda's execution model has it: created on a cold start,
 * initialized once, then invoked one request at a time, frozen between invocations, retired at the
 * end. Every transition not in the table is a bug and throws.
 *
 * <pre>
 * STARTING -> INITIALIZING -> IDLE <-> BUSY
 *                             IDLE  -> FROZEN -> BUSY
 * any (but RETIRED) -> RETIRED
 * </pre>
 */
public enum EnvironmentState {
    /** Preparing the sandbox: code, cgroups, /tmp, the Runtime API endpoint. */
    STARTING,
    /** The runtime runs its init phase, until its first {@code GET /runtime/invocation/next}. */
    INITIALIZING,
    /** The runtime waits for an invocation; not yet frozen (the freeze grace is running). */
    IDLE,
    /** Running an invocation, from delivery until the runtime asks for the next one. */
    BUSY,
    /** Every process of the environment is stopped; thawed when the next invocation comes. */
    FROZEN,
    /** Its processes are killed and its resources released. Final. */
    RETIRED;

    private Set<EnvironmentState> next;

    static {
        STARTING.next = EnumSet.of(INITIALIZING, RETIRED);
        INITIALIZING.next = EnumSet.of(IDLE, RETIRED);
        IDLE.next = EnumSet.of(BUSY, FROZEN, RETIRED);
        BUSY.next = EnumSet.of(IDLE, RETIRED);
        FROZEN.next = EnumSet.of(BUSY, RETIRED);
        RETIRED.next = EnumSet.noneOf(EnvironmentState.class);
    }

    public boolean canBecome(EnvironmentState target) {
        return next.contains(target);
    }

    /** The state after a transition to {@code target}; throws if the table does not allow it. */
    public EnvironmentState to(EnvironmentState target) {
        if (!canBecome(target)) {
            throw new IllegalStateException("environment state " + this + " cannot become " + target);
        }
        return target;
    }

    /** Whether an environment in this state holds a runtime waiting for work of its revision. */
    public boolean isWarm() {
        return this == IDLE || this == FROZEN;
    }

    public Environment.State toProto() {
        return switch (this) {
            case STARTING -> Environment.State.STARTING;
            case INITIALIZING -> Environment.State.INITIALIZING;
            case IDLE -> Environment.State.IDLE;
            case BUSY -> Environment.State.BUSY;
            case FROZEN -> Environment.State.FROZEN;
            case RETIRED -> Environment.State.RETIRED;
        };
    }
}
