package dev.floe.controller.registry;

/**
 * A warm environment of one revision on one worker, promised to an invocation placed there and not
 * started yet. Until it is kept (the worker reports one of the revision's warm environments BUSY) or
 * released (the invocation ended, or the worker left), placement does not count that environment as
 * available, so concurrent invocations are not all sent to the same single warm environment.
 */
public final class WarmPromise {
    private final FleetView fleet;
    private final String workerId;
    private final String revisionId;
    /** Guarded by the fleet view's lock. */
    boolean settled;

    WarmPromise(FleetView fleet, String workerId, String revisionId) {
        this.fleet = fleet;
        this.workerId = workerId;
        this.revisionId = revisionId;
    }

    public String workerId() {
        return workerId;
    }

    public String revisionId() {
        return revisionId;
    }

    /** The invocation no longer needs the environment. Idempotent. */
    public void release() {
        fleet.release(this);
    }
}
