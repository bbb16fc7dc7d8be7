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
 * STARTING -> INITIALIZING -> IDLE -> BUSY -> FINISHING -> IDLE
 *                             IDLE -> FROZEN -> BUSY
 * any live state -> RETIRING -> RETIRED
 * </pre>
 *
 * The environment owns its state; the pool indexes it from the transitions it is told of.
 */
public enum EnvironmentState {
    /** Preparing the sandbox: code, cgroups, /tmp, the Runtime API endpoint. */
    STARTING,
    /** The runtime runs its init phase, until its first {@code GET /runtime/invocation/next}. */
    INITIALIZING,
    /** The runtime waits for an invocation; not yet frozen (the freeze grace is running). */
    IDLE,
    /** Running an invocation, from delivery until its response or error. */
    BUSY,
    /** Its invocation is answered; the runtime has not asked for the next one yet (it soon will). */
    FINISHING,
    /** Every process of the environment is stopped; thawed when the next invocation comes. */
    FROZEN,
    /** Given up on: its processes are being killed and its resources released; takes no work. */
    RETIRING,
    /** Nothing of it is left: no process, cgroup, mount or /tmp image. Final. */
    RETIRED;

    private Set<EnvironmentState> next;

    static {
        STARTING.next = EnumSet.of(INITIALIZING, RETIRING);
        INITIALIZING.next = EnumSet.of(IDLE, RETIRING);
        IDLE.next = EnumSet.of(BUSY, FROZEN, RETIRING);
        BUSY.next = EnumSet.of(FINISHING, RETIRING);
        FINISHING.next = EnumSet.of(IDLE, RETIRING);
        FROZEN.next = EnumSet.of(BUSY, RETIRING);
        RETIRING.next = EnumSet.of(RETIRED);
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

    /** Whether the environment was given up on (retiring or retired): it takes no more work. */
    public boolean isEnding() {
        return this == RETIRING || this == RETIRED;
    }

    /**
     * Whether entering this state changes what the fleet sees: not FINISHING (still BUSY on the wire)
     * nor RETIRED (RETIRING already said RETIRED).
     */
    public boolean changesTheFleetView() {
        return this != FINISHING && this != RETIRED;
    }

    /**
     * The state the fleet sees: a finishing environment is still busy for placement, and a retiring one
     * already gone.
     */
    public Environment.State toProto() {
        return switch (this) {
            case STARTING -> Environment.State.STARTING;
            case INITIALIZING -> Environment.State.INITIALIZING;
            case IDLE -> Environment.State.IDLE;
            case BUSY, FINISHING -> Environment.State.BUSY;
            case FROZEN -> Environment.State.FROZEN;
            case RETIRING, RETIRED -> Environment.State.RETIRED;
        };
    }
}
