package dev.floe.controller.placement;

import java.util.List;

/**
 * A read-only view of the fleet for one placement decision, indexed so that a decision never scans
 * the fleet: the workers holding available warm environments of a revision (most recently used
 * first), the workers by free memory and by room, and the consistent-hash ring. Placement must
 * not keep it beyond the call: the controller's implementation is only valid under its lock.
 */
public interface FleetState {
    /** How many workers take invocations. */
    int size();

    /** Worker ids sorted, for policies that pick a worker by its position (hash mod N, random). */
    List<String> workerIds();

    /** The worker's memory, or null when it is not in the fleet. */
    WorkerCapacity worker(String workerId);

    /** How many invocations the worker is running. */
    int busy(String workerId);

    /** What the worker holds of the revision; {@link RevisionPresence#NONE} if nothing. */
    RevisionPresence presence(String revisionId, String workerId);

    /**
     * The workers holding warm environments of the revision that no invocation has been promised,
     * the one whose environment was used most recently first.
     */
    Iterable<String> idleHolders(String revisionId);

    /** The workers running an invocation of the revision; O(workers holding the revision) to walk. */
    Iterable<String> busyHolders(String revisionId);

    /** Every worker, the most free memory first, ties by id. */
    Iterable<String> byFreeMemory();

    /** Every worker, the most room (free memory plus warm environments' memory) first, ties by id. */
    Iterable<String> byRoom();

    /** The consistent-hash ring of the workers. */
    HashRing ring();

    /** The sum of the workers' memory budgets. */
    long memoryMb();

    /** The memory held by environments that are not warm (busy or starting), over the fleet. */
    long loadMb();

    /** The memory held by non-warm environments on the worker: its load. */
    default int loadMb(String workerId) {
        WorkerCapacity w = worker(workerId);
        return w == null ? 0 : w.usedMb() - w.warmMb();
    }

    /**
     * What a new environment of the revision could get on the worker: free memory plus warm
     * environments of other revisions, which the worker retires to make room.
     */
    default int roomMb(String revisionId, String workerId) {
        WorkerCapacity w = worker(workerId);
        if (w == null) {
            return 0;
        }
        int reclaimable = Math.max(0, w.warmMb() - presence(revisionId, workerId).warmMb());
        return w.freeMb() + reclaimable;
    }
}
