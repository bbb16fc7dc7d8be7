package dev.floe.worker.environment;

import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;

/**
 * Decides how long idle environments live. The pool asks it two questions: is this idle environment
 * past its keep-alive, and, when a cold start needs memory, which idle environments to retire first.
 * Implementations are pure: times come in as arguments, and a stateful policy (one per worker) is
 * told of each environment's changes through the hooks below, always under its pool's lock, so the
 * simulator drives the same classes as the worker.
 */
public interface KeepAlivePolicy {
    /** Whether an environment idle since {@code idle.lastUsedNanos()} should retire at {@code nowNanos}. */
    boolean expired(IdleEnvironment idle, long nowNanos);

    /** The order in which idle environments are retired to make room: least valuable first. */
    Comparator<IdleEnvironment> leastValuableFirst();

    /** The environment became idle at {@code nowNanos}, after its init or an invocation. */
    default void idle(IdleEnvironment idle, long nowNanos) {}

    /** The environment was retired to make room for a cold start. */
    default void evicted(IdleEnvironment idle) {}

    /** The environment retired for any reason; the policy may forget it. */
    default void retired(String environmentId, String revisionId) {}

    /** An invocation of the revision starts at {@code nowNanos} (a policy that predicts arrivals learns here). */
    default void arrived(String revisionId, long nowNanos) {}

    /**
     * Prewarming: when an environment of the revision goes idle after an invocation, a positive answer
     * asks that it be retired at once and a new one started this many nanoseconds later, which then
     * lives as any idle environment. 0 (the default) keeps the environment.
     */
    default long prewarmDelayNanos(String revisionId) {
        return 0;
    }

    /**
     * Whether one instance should learn from the whole fleet's invocations (the simulator then shares
     * it among its workers) rather than one per worker.
     */
    default boolean fleetWide() {
        return false;
    }

    /**
     * The policy named {@code spec}, a new instance each call (a stateful policy is per worker):
     * {@code fixed:DURATION} (idle timeout; {@code fixed} alone is 10 minutes) or
     * {@code greedy-dual:DURATION} (Greedy-Dual with that idle cap; alone, 10 minutes) or
     * {@code hybrid-histogram:DURATION} (the hybrid histogram policy, falling back to that fixed
     * keep-alive; alone, 10 minutes). A duration is
     * a number with {@code s}, {@code m} or {@code h}.
     */
    static KeepAlivePolicy parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        Duration limit = colon < 0 ? Duration.ofMinutes(10) : duration(spec, s.substring(colon + 1));
        return switch (name) {
            case "fixed" -> idleTimeout(limit);
            case "greedy-dual" -> new GreedyDualKeepAlive(limit);
            case "hybrid-histogram" -> new HybridHistogramKeepAlive(limit);
            default -> throw new IllegalArgumentException("keep-alive: \"" + spec
                    + "\" (expected: fixed[:DURATION], greedy-dual[:DURATION] or hybrid-histogram[:DURATION], e.g. fixed:10m)");
        };
    }

    private static Duration duration(String spec, String text) {
        try {
            long n = Long.parseLong(text.substring(0, text.length() - 1));
            Duration d = switch (text.charAt(text.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> null;
            };
            if (d != null && n > 0) {
                return d;
            }
        } catch (RuntimeException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("keep-alive: \"" + spec + "\" (expected a positive duration after the colon,"
                + " a number with s, m or h, e.g. fixed:10m)");
    }

    /** What the policy knows of an idle environment. */
    record IdleEnvironment(String id, String revisionId, int memoryMb, long lastUsedNanos, long invocations,
                           double initDurationMs) {}

    /**
     * Lambda-like: an environment lives a fixed time after its last invocation; under memory
     * pressure the least recently used goes first.
     */
    static KeepAlivePolicy idleTimeout(Duration idleTimeout) {
        long limit = idleTimeout.toNanos();
        return new KeepAlivePolicy() {
            @Override
            public boolean expired(IdleEnvironment idle, long nowNanos) {
                return nowNanos - idle.lastUsedNanos() >= limit;
            }

            @Override
            public Comparator<IdleEnvironment> leastValuableFirst() {
                return Comparator.comparingLong(IdleEnvironment::lastUsedNanos);
            }

            @Override
            public String toString() {
                return "fixed:" + format(idleTimeout);
            }
        };
    }

    /** A duration as {@link #parse} reads it. */
    static String format(Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }
}
