package dev.floe.controller.provision;

import dev.floe.controller.placement.WorkerCapacity;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a function's provisioned environments are shared among workers: as evenly as the workers'
 * memory allows, so that losing one worker loses as few as possible, and moving as few as possible
 * (a worker keeps what it holds when the spread allows). Pure: a function of the workers' capacities
 * and of what each holds now.
 */
public final class ProvisionPlan {
    private ProvisionPlan() {}

    /**
     * Each worker's share of {@code wanted} environments of {@code memoryMb}: every worker that holds
     * some or gets some is in the result, with 0 for one that should release what it holds. Fewer than
     * {@code wanted} in all when the fleet has no room for more.
     *
     * @param holding the provisioned environments of the revision each worker holds now
     * @param limits for workers that took fewer than they were asked: the most they can hold
     */
    public static Map<String, Integer> shares(int wanted, int memoryMb, List<WorkerCapacity> workers,
            Map<String, Integer> holding, Map<String, Integer> limits) {
        Map<String, Integer> capacity = new HashMap<>();
        for (WorkerCapacity w : workers) {
            int held = holding.getOrDefault(w.id(), 0);
            // What it holds, plus what fits in its free memory and in idle environments it may retire
            // (its provisioned ones are idle too, but not to be retired).
            int reclaimable = Math.max(0, w.warmMb() - held * memoryMb);
            int more = memoryMb <= 0 ? 0 : (w.freeMb() + reclaimable) / memoryMb;
            capacity.put(w.id(), Math.min(limits.getOrDefault(w.id(), Integer.MAX_VALUE), held + more));
        }
        Map<String, Integer> shares = new TreeMap<>();
        holding.forEach((worker, held) -> {
            if (held > 0) {
                shares.put(worker, 0);
            }
        });
        Comparator<WorkerCapacity> order = Comparator
                .comparingInt((WorkerCapacity w) -> shares.getOrDefault(w.id(), 0))
                .thenComparing(Comparator.comparingInt((WorkerCapacity w) -> holding.getOrDefault(w.id(), 0)).reversed())
                .thenComparing(Comparator.comparingInt((WorkerCapacity w) -> w.freeMb()).reversed())
                .thenComparing(WorkerCapacity::id);
        for (int given = 0; given < wanted; given++) {
            WorkerCapacity next = workers.stream()
                    .filter(w -> shares.getOrDefault(w.id(), 0) < capacity.get(w.id()))
                    .min(order)
                    .orElse(null);
            if (next == null) {
                break;
            }
            shares.merge(next.id(), 1, Integer::sum);
        }
        return shares;
    }
}
