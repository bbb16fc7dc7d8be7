package dev.floe.controller.placement;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A worker drawn uniformly at random, then the next ones in id order until one has room: a baseline
 * that ignores both warm environments and load. Seeded, so a run can be repeated; not thread-safe
 * (the controller places under the fleet view's lock).
 */
public final class RandomPlacement implements Placement {
    private final SplittableRandom random;

    public RandomPlacement(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        List<String> ids = fleet.workerIds();
        int n = ids.size();
        if (n == 0) {
            return Optional.empty();
        }
        int start = random.nextInt(n);
        for (int i = 0; i < n; i++) {
            String w = ids.get((start + i) % n);
            if (!request.excluded().contains(w) && fleet.roomMb(request.revisionId(), w) >= request.memoryMb()) {
                return Optional.of(Placement.on(fleet, request, w));
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "random";
    }
}
