package dev.floe.controller.placement;

import java.util.Optional;

/**
 * What a warm-aware scheduler does when it knows where idle environments are (OpenWhisk's newer
 * scheduler keeps its warm containers in etcd and sends work to them): a worker holding an idle
 * warm environment of the revision, the most recently used first, else the least-loaded worker with
 * room. Unlike Floe's default it neither waits for a busy environment of the revision to finish
 * nor gathers a function's cold starts on a home worker, so it is the baseline that isolates what
 * those two steps are worth.
 */
public final class WarmFirstPlacement implements Placement {
    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        for (String w : fleet.idleHolders(request.revisionId())) {
            if (!request.excluded().contains(w)) {
                return Optional.of(new Decision(w, Kind.WARM));
            }
        }
        return LeastLoadedPlacement.withRoom(fleet, request).map(w -> Placement.on(fleet, request, w));
    }

    @Override
    public String toString() {
        return "warm-first";
    }
}
