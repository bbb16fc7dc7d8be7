package dev.floe.controller.registry;

import java.util.HashMap;
import java.util.Map;

/**
 * Counts environments in some states by revision and worker, so a placement reads one revision's
 * entry instead of scanning every environment of the fleet. Not thread-safe: {@link FleetView}
 * guards it.
 */
final class RevisionIndex {
    /** How many environments and how much memory. */
    record Tally(int count, int memoryMb) {}

    private final Map<String, Map<String, Tally>> byRevision = new HashMap<>();

    void add(String revisionId, String workerId, int memoryMb) {
        byRevision.computeIfAbsent(revisionId, r -> new HashMap<>())
                .merge(workerId, new Tally(1, memoryMb), (a, b) -> new Tally(a.count + b.count, a.memoryMb + b.memoryMb));
    }

    void remove(String revisionId, String workerId, int memoryMb) {
        Map<String, Tally> byWorker = byRevision.get(revisionId);
        if (byWorker == null) {
            return;
        }
        Tally tally = byWorker.get(workerId);
        if (tally == null) {
            return;
        }
        if (tally.count <= 1) {
            byWorker.remove(workerId);
            if (byWorker.isEmpty()) {
                byRevision.remove(revisionId);
            }
        } else {
            byWorker.put(workerId, new Tally(tally.count - 1, tally.memoryMb - memoryMb));
        }
    }

    /** Worker id to tally for the revision; empty if no worker holds one. A live view: copy before releasing the lock. */
    Map<String, Tally> of(String revisionId) {
        return byRevision.getOrDefault(revisionId, Map.of());
    }
}
