package dev.floe.worker.environment;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The hybrid histogram keep-alive of Shahrad et al., "Serverless in the Wild: Characterizing and
 * Optimizing the Serverless Workload at a Large Cloud Provider" (USENIX ATC'20): per revision, a
 * histogram of idle times ({@link IdleTimeHistogram}) gives a prewarm window (retire the environment
 * when its invocation ends, start a new one that long after) and a keep-alive window (how long that
 * environment then waits). A revision with too few idle times, or whose histogram is not
 * representative, gets the fixed keep-alive {@code fallback}; the paper's fallback is the
 * histogram's whole 4-hour range, Floe's is the fixed keep-alive it is compared with, so memory is
 * never held longer than that for a revision the histogram cannot predict. Under memory pressure the
 * least recently used idle environment goes first.
 *
 * <p>The histogram learns from {@link #arrived} (an invocation of the revision starts) and
 * {@link #idle} (one ends). Not thread-safe: its pool, or the simulator, calls it under one lock.
 */
public final class HybridHistogramKeepAlive implements KeepAlivePolicy {
    /** Idle environments remembered per revision; beyond this the longest idle are forgotten. */
    static final int MAX_TRACKED = 1024;

    private final Duration fallback;
    private final long fallbackNanos;
    private final Map<String, IdleTimeHistogram> histograms = new HashMap<>();
    /**
     * Revision id to when its environments went idle, the most recent first, as if none retired: an
     * arrival takes the most recent (the pool reuses the most recently used environment), so each
     * idle time is what one environment would wait. With one environment at a time this is the
     * paper's idle time between invocations; with several running at once it is each one's, which
     * is what keeping or retiring that environment is about (the paper keeps one per application).
     */
    private final Map<String, ArrayDeque<Long>> idleSince = new HashMap<>();

    public HybridHistogramKeepAlive(Duration fallback) {
        if (fallback == null || fallback.isNegative() || fallback.isZero()) {
            throw new IllegalArgumentException("fallback: " + fallback + " (expected: a positive duration)");
        }
        this.fallback = fallback;
        this.fallbackNanos = fallback.toNanos();
    }

    @Override
    public void arrived(String revisionId, long nowNanos) {
        ArrayDeque<Long> since = idleSince.get(revisionId);
        Long ended = since == null ? null : since.pollFirst();
        if (ended != null) {
            histograms.computeIfAbsent(revisionId, r -> new IdleTimeHistogram()).add(nowNanos - ended);
        }
    }

    @Override
    public void idle(IdleEnvironment idle, long nowNanos) {
        ArrayDeque<Long> since = idleSince.computeIfAbsent(idle.revisionId(), r -> new ArrayDeque<>());
        since.addFirst(nowNanos);
        if (since.size() > MAX_TRACKED) {
            since.pollLast();
        }
    }

    /** The revision's windows now: the histogram's, or no prewarm and the fallback keep-alive. */
    public IdleTimeHistogram.Windows windows(String revisionId) {
        IdleTimeHistogram h = histograms.get(revisionId);
        IdleTimeHistogram.Windows w = h == null ? null : h.windows();
        return w == null ? new IdleTimeHistogram.Windows(0, fallbackNanos) : w;
    }

    @Override
    public long prewarmDelayNanos(String revisionId) {
        return windows(revisionId).prewarmNanos();
    }

    @Override
    public boolean expired(IdleEnvironment idle, long nowNanos) {
        return nowNanos - idle.lastUsedNanos() >= windows(idle.revisionId()).keepAliveNanos();
    }

    @Override
    public Comparator<IdleEnvironment> leastValuableFirst() {
        return Comparator.comparingLong(IdleEnvironment::lastUsedNanos);
    }

    @Override
    public boolean fleetWide() {
        return true;
    }

    @Override
    public String toString() {
        return "hybrid-histogram:" + KeepAlivePolicy.format(fallback);
    }
}
