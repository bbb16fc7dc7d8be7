package dev.floe.controller.placement;

import java.util.Optional;

/**
 * Hermod's hybrid of packing and load balancing (Kaffes, Yadwadkar and Kozyrakis, "Hermod:
 * Principled and Practical Scheduling for Serverless Functions", SoCC'22), with a warm step first so
 * that it competes as a warm-aware scheduler: a worker holding an idle warm environment of the
 * revision; else, while some worker's load stays under {@link #PACKING_THRESHOLD} of its memory, the most
 * loaded such worker (packing keeps the other workers' warm environments and free memory for their
 * own functions); beyond it, the least-loaded worker with room (spreading, as Hermod does at high
 * load). Load is the memory of environments that are not warm, as for Floe's default; the paper
 * measures it in busy cores, which Floe's workers do not report. The packing step walks every
 * worker: O(N) per cold decision, which {@code bench-placement} shows.
 */
public final class HermodPlacement implements Placement {
    /** The load, as a share of a worker's memory, up to which Hermod packs: Floe's choice, not the paper's figure. */
    static final double PACKING_THRESHOLD = 0.8;

    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        for (String w : fleet.idleHolders(request.revisionId())) {
            if (!request.excluded().contains(w)) {
                return Optional.of(new Decision(w, Kind.WARM));
            }
        }
        int need = request.memoryMb();
        String packed = null;
        int packedLoad = -1;
        for (String w : fleet.workerIds()) {
            if (request.excluded().contains(w)) {
                continue;
            }
            int load = fleet.loadMb(w);
            if (load + need <= PACKING_THRESHOLD * fleet.worker(w).memoryMb() && load > packedLoad
                    && fleet.roomMb(request.revisionId(), w) >= need) {
                packed = w;
                packedLoad = load;
            }
        }
        if (packed != null) {
            return Optional.of(Placement.on(fleet, request, packed));
        }
        return LeastLoadedPlacement.withRoom(fleet, request).map(w -> Placement.on(fleet, request, w));
    }

    @Override
    public String toString() {
        return "hermod";
    }
}
