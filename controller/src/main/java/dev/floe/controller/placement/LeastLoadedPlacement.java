package dev.floe.controller.placement;

import java.util.Optional;

/**
 * The worker with the most free memory, blind to where warm environments are (a warm start happens
 * only when that worker holds one): the usual load balancer, a baseline for Floe's default. When no
 * worker has the free memory, the one with the most room counting warm environments it can retire.
 */
public final class LeastLoadedPlacement implements Placement {
    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        return withRoom(fleet, request).map(w -> Placement.on(fleet, request, w));
    }

    /** The most free memory if it fits the request, else the most room; neither excluded. */
    static Optional<String> withRoom(FleetState fleet, PlacementRequest request) {
        int need = request.memoryMb();
        for (String w : fleet.byFreeMemory()) {
            if (request.excluded().contains(w)) {
                continue;
            }
            if (fleet.worker(w).freeMb() >= need) {
                return Optional.of(w);
            }
            break;
        }
        for (String w : fleet.byRoom()) {
            WorkerCapacity c = fleet.worker(w);
            if (c.freeMb() + c.warmMb() < need) {
                break;
            }
            if (!request.excluded().contains(w) && fleet.roomMb(request.revisionId(), w) >= need) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "least-loaded";
    }
}
