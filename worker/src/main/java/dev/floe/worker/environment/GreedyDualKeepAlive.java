package dev.floe.worker.environment;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * Greedy-Dual keep-alive, after FaasCache (Fuerst and Sharma, ASPLOS'21): each idle environment has
 * a priority {@code clock + frequency x cost / memory}, set when it becomes idle, where frequency is
 * how many invocations its revision had on this worker, cost its cold start (its init time) and
 * memory its size. Under memory pressure the lowest priority goes first and the clock rises to its
 * priority, so environments not used since age relative to those used after. Beside that, an idle
 * cap retires any environment idle that long, so memory is not held for ever when there is no
 * pressure. One instance per worker; not thread-safe (its pool calls it under its lock).
 */
public final class GreedyDualKeepAlive implements KeepAlivePolicy {
    /** A cold start costs at least this, so a revision whose init took no measurable time still counts. */
    static final double MIN_COST_MS = 1;

    private final Duration idleCap;
    private final long idleCapNanos;
    private double clock;
    private final Map<String, Double> priorities = new HashMap<>();
    /** Revision id to its invocations here and its environments known. */
    private final Map<String, long[]> revisions = new HashMap<>();
    private final Map<String, String> revisionOf = new HashMap<>();

    public GreedyDualKeepAlive(Duration idleCap) {
        if (idleCap == null || idleCap.isNegative() || idleCap.isZero()) {
            throw new IllegalArgumentException("idleCap: " + idleCap + " (expected: a positive duration)");
        }
        this.idleCap = idleCap;
        this.idleCapNanos = idleCap.toNanos();
    }

    @Override
    public void idle(IdleEnvironment idle, long nowNanos) {
        long[] counts = revisions.computeIfAbsent(idle.revisionId(), r -> new long[2]);
        if (revisionOf.put(idle.id(), idle.revisionId()) == null) {
            counts[1]++;
        }
        counts[0]++;
        double cost = Math.max(MIN_COST_MS, idle.initDurationMs());
        priorities.put(idle.id(), clock + counts[0] * cost / Math.max(1, idle.memoryMb()));
    }

    @Override
    public void evicted(IdleEnvironment idle) {
        clock = Math.max(clock, priority(idle));
        retired(idle.id(), idle.revisionId());
    }

    @Override
    public void retired(String environmentId, String revisionId) {
        priorities.remove(environmentId);
        String revision = revisionOf.remove(environmentId);
        if (revision != null) {
            long[] counts = revisions.get(revision);
            if (counts != null && --counts[1] <= 0) {
                // As FaasCache: a revision with no environment left starts its frequency afresh.
                revisions.remove(revision);
            }
        }
    }

    @Override
    public boolean expired(IdleEnvironment idle, long nowNanos) {
        return nowNanos - idle.lastUsedNanos() >= idleCapNanos;
    }

    @Override
    public Comparator<IdleEnvironment> leastValuableFirst() {
        return Comparator.comparingDouble(this::priority).thenComparingLong(IdleEnvironment::lastUsedNanos);
    }

    double priority(IdleEnvironment idle) {
        return priorities.getOrDefault(idle.id(), clock);
    }

    double clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "greedy-dual:" + KeepAlivePolicy.format(idleCap);
    }
}
