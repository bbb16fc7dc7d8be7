package dev.floe.controller.placement;

import java.util.Comparator;
import java.util.Optional;

/**
 * Warm environments first, then a worker whose busy environment of the revision may take the
 * invocation next, then the worker with the most free memory. Cold starts are what users of an
 * environment-per-request model feel most (Lambda's own guidance is about avoiding them), so a warm
 * start anywhere beats a better-balanced cold start.
 *
 * <ol>
 *   <li>WARM: a worker with an IDLE or FROZEN environment of the revision that no in-flight
 *       invocation has been promised; the one with the most such environments, so the others can age
 *       out and be retired.
 *   <li>BUSY_HANDOFF: a worker with a BUSY environment of the revision and room for a new one should
 *       the busy one not free up in time; the one with the most busy environments of it.
 *   <li>COLD: a worker with room: free memory plus the memory of warm environments of other
 *       revisions (the worker retires those to make room). The one with the most free memory, then
 *       the most room, so idle environments are retired only when needed.
 *   <li>none.
 * </ol>
 * Ties go to the worker with the most free memory, then to the smallest id, so the choice is
 * deterministic.
 */
public final class WarmFirstPlacement implements Placement {
    @Override
    public Optional<Decision> place(FleetSnapshot fleet, PlacementRequest request) {
        String revision = request.revisionId();
        Comparator<WorkerCapacity> byFreeThenId = Comparator.comparingInt(WorkerCapacity::freeMb).reversed()
                .thenComparing(WorkerCapacity::id);

        Optional<WorkerCapacity> warm = fleet.workers().stream()
                .filter(w -> !request.excluded().contains(w.id()))
                .filter(w -> fleet.presence(revision, w.id()).available() > 0)
                .min(Comparator.comparingInt((WorkerCapacity w) -> fleet.presence(revision, w.id()).available())
                        .reversed().thenComparing(byFreeThenId));
        if (warm.isPresent()) {
            return Optional.of(new Decision(warm.get().id(), Kind.WARM));
        }

        Optional<WorkerCapacity> busy = fleet.workers().stream()
                .filter(w -> !request.excluded().contains(w.id()))
                .filter(w -> fleet.presence(revision, w.id()).busy() > 0)
                .filter(w -> roomMb(fleet, revision, w) >= request.memoryMb())
                .min(Comparator.comparingInt((WorkerCapacity w) -> fleet.presence(revision, w.id()).busy())
                        .reversed().thenComparing(byFreeThenId));
        if (busy.isPresent()) {
            return Optional.of(new Decision(busy.get().id(), Kind.BUSY_HANDOFF));
        }

        return fleet.workers().stream()
                .filter(w -> !request.excluded().contains(w.id()))
                .filter(w -> roomMb(fleet, revision, w) >= request.memoryMb())
                .min(Comparator.comparingInt(WorkerCapacity::freeMb).reversed()
                        .thenComparing(Comparator.comparingInt((WorkerCapacity w) -> roomMb(fleet, revision, w)).reversed())
                        .thenComparing(WorkerCapacity::id))
                .map(w -> new Decision(w.id(), Kind.COLD));
    }

    /**
     * What a new environment could get on the worker: free memory plus warm environments of other
     * revisions. Warm environments of this revision do not count: if any were unpromised, rule 1
     * would have chosen them; promised ones are about to run an invocation.
     */
    static int roomMb(FleetSnapshot fleet, String revisionId, WorkerCapacity worker) {
        int reclaimable = Math.max(0, worker.warmMb() - fleet.presence(revisionId, worker.id()).warmMb());
        return worker.freeMb() + reclaimable;
    }
}
