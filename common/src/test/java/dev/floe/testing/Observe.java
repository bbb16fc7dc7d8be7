package dev.floe.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Asserts that something holds throughout a window of time, sampling it often and failing at the
 * first change. For properties that are about time itself, such as "a frozen process makes no
 * progress", where waiting for a condition cannot express the claim.
 */
public final class Observe {
    private Observe() {}

    public static <T> void unchangedFor(Duration window, String what, Supplier<T> value) {
        T first = value.get();
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            T now = value.get();
            if (!Objects.equals(first, now)) {
                throw new AssertionError(what + " changed from " + first + " to " + now);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
