package dev.floe.controller.placement;

import dev.floe.controller.registry.FleetIndex;
import dev.floe.controller.registry.FleetIndex.Slot;
import java.util.Optional;
import java.util.Set;

/** Builds fleets for placement tests: workers, then environments on them. */
final class Fleets {
    private final FleetIndex index = new FleetIndex();
    private int next;

    Fleets worker(String id, int memoryMb) {
        index.addWorker(id, memoryMb);
        return this;
    }

    /** {@code count} environments of the revision in the slot, {@code memoryMb} each. */
    Fleets env(String workerId, String revisionId, Slot slot, int memoryMb, int count) {
        for (int i = 0; i < count; i++) {
            index.environment(workerId, "env-" + next++, revisionId, memoryMb, slot);
        }
        return this;
    }

    Fleets env(String workerId, String revisionId, Slot slot, int memoryMb) {
        return env(workerId, revisionId, slot, memoryMb, 1);
    }

    Fleets promised(String workerId, String revisionId) {
        index.promised(revisionId, workerId, 1);
        return this;
    }

    FleetIndex index() {
        return index;
    }

    Optional<Placement.Decision> place(Placement placement, String revisionId, String function, int memoryMb, String... excluded) {
        return placement.place(index, new PlacementRequest(revisionId, function, memoryMb, Set.of(excluded)));
    }
}
