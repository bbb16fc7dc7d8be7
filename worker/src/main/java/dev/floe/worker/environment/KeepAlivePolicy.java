package dev.floe.worker.environment;

import java.time.Duration;
import java.util.Comparator;

/**
 * Decides how long idle environments live. The pool asks it two questions: is this idle environment
 * past its keep-alive, and, when a cold start needs memory, which idle environments to retire first.
 * Implementations are pure: times come in as arguments.
 */
public interface KeepAlivePolicy {
    /** Whether an environment idle since {@code idle.lastUsedNanos()} should retire at {@code nowNanos}. */
    boolean expired(IdleEnvironment idle, long nowNanos);

    /** The order in which idle environments are retired to make room: least valuable first. */
    Comparator<IdleEnvironment> leastValuableFirst();

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
                return "idle-timeout(" + idleTimeout + ")";
            }
        };
    }
}
