package dev.floe.controller.placement;

import java.util.List;
import java.util.Map;

/**
 * The fleet at one moment: every worker's memory, and for some revisions (typically only the one
 * being placed) what each worker holds of it. Immutable.
 *
 * @param workers the connected workers that take invocations
 * @param revisions revision id to worker id to what that worker holds of the revision
 */
public record FleetSnapshot(List<WorkerCapacity> workers, Map<String, Map<String, RevisionPresence>> revisions) {
    public FleetSnapshot {
        workers = List.copyOf(workers);
        revisions = revisions.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(
                Map.Entry::getKey, e -> Map.copyOf(e.getValue())));
    }

    public RevisionPresence presence(String revisionId, String workerId) {
        Map<String, RevisionPresence> byWorker = revisions.get(revisionId);
        RevisionPresence presence = byWorker == null ? null : byWorker.get(workerId);
        return presence == null ? RevisionPresence.NONE : presence;
    }
}
