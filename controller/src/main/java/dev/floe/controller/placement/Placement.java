package dev.floe.controller.placement;

import java.util.Optional;

/** Chooses the worker for one invocation, or none when no worker can take it now. */
public interface Placement {
    Optional<Decision> place(FleetSnapshot fleet, PlacementRequest request);

    /** Why a worker was chosen, i.e. what the worker is expected to do with the invocation. */
    enum Kind {
        /** It holds an IDLE or FROZEN environment of the revision: a warm start. */
        WARM,
        /** It holds a BUSY environment of the revision, which may ask for more work soon; else it cold-starts. */
        BUSY_HANDOFF,
        /** It starts a new environment, retiring idle ones of other revisions if it must. */
        COLD
    }

    record Decision(String workerId, Kind kind) {}
}
