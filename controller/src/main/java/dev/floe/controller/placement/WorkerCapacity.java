package dev.floe.controller.placement;

/**
 * One worker's memory as placement sees it.
 *
 * @param memoryMb the worker's budget for the sum of its environments' memory sizes
 * @param usedMb the memory of its environments that are not retired
 * @param warmMb the part of {@code usedMb} held by IDLE or FROZEN environments, which the worker
 *     retires when it needs room for a new environment
 */
public record WorkerCapacity(String id, int memoryMb, int usedMb, int warmMb) {
    public WorkerCapacity {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("id: empty (expected: a worker id)");
        }
        if (memoryMb < 0 || usedMb < 0 || warmMb < 0 || warmMb > usedMb) {
            throw new IllegalArgumentException("worker " + id + ": memoryMb " + memoryMb + ", usedMb " + usedMb
                    + ", warmMb " + warmMb + " (expected: non-negative, warmMb <= usedMb)");
        }
    }

    /** Memory no environment holds; 0 when the worker is over its budget. */
    public int freeMb() {
        return Math.max(0, memoryMb - usedMb);
    }
}
