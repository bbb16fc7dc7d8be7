package dev.floe.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition until a deadline, polling with a short backoff; fails with what was awaited. */
public final class Await {
    private Await() {}

    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMicros = 200;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            pause(pauseMicros);
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
    }

    /** Waits until {@code value} returns non-null, and returns it. */
    public static <T> T value(Duration timeout, String what, Supplier<T> value) {
        Object[] box = new Object[1];
        until(timeout, what, () -> (box[0] = value.get()) != null);
        @SuppressWarnings("unchecked")
        T result = (T) box[0];
        return result;
    }

    private static void pause(long micros) {
        try {
            Thread.sleep(Duration.ofNanos(micros * 1_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
