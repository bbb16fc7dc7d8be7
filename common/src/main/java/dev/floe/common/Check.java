package dev.floe.common;

/** Argument checks whose messages say what was expected, e.g. {@code memoryMb: 64 (expected: 128..10240)}. */
public final class Check {
    private Check() {}

    public static int range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    public static long positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }

    public static java.time.Duration positive(String name, java.time.Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: a positive duration)");
        }
        return value;
    }

    public static java.time.Duration nonNegative(String name, java.time.Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: zero or a positive duration)");
        }
        return value;
    }

    public static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": null (expected: a value)");
        }
        return value;
    }
}
