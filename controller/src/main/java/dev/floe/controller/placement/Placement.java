package dev.floe.controller.placement;

import java.util.Optional;

/**
 * Chooses the worker for one invocation, or none when no worker can take it now. A pure function of
 * the fleet's state and the request: no RPC, clock or threads inside (a seeded policy keeps its own
 * random generator), so the controller, tests and the simulator drive the same code.
 */
public interface Placement {
    Optional<Decision> place(FleetState fleet, PlacementRequest request);

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

    /** WARM if the worker holds an available warm environment of the request's revision, else COLD. */
    static Decision on(FleetState fleet, PlacementRequest request, String workerId) {
        return new Decision(workerId, fleet.presence(request.revisionId(), workerId).available() > 0 ? Kind.WARM : Kind.COLD);
    }
}
