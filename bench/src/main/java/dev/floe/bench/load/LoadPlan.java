package dev.floe.bench.load;

import java.time.Duration;
import java.util.List;

/**
 * What a load sends, and how.
 *
 * @param functions the functions, most popular first: a call picks function {@code k} with Zipf weight
 *     {@code 1/(k+1)^zipf}
 * @param payloads the payloads, one picked at random (uniformly) per call
 * @param callers closed loop: this many callers, each sending its next invocation when the last answered;
 *     0 with an open loop
 * @param rate open loop: invocations started per second, whether or not earlier ones answered; 0 with a
 *     closed loop
 * @param warmup sent first and not counted
 * @param duration measured, after the warm-up
 */
public record LoadPlan(List<String> functions, double zipf, List<byte[]> payloads, int callers, double rate,
                       Duration warmup, Duration duration) {
    public LoadPlan {
        functions = List.copyOf(functions);
        payloads = List.copyOf(payloads);
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("functions: none (expected: at least one function name)");
        }
        if (payloads.isEmpty()) {
            throw new IllegalArgumentException("payloads: none (expected: at least one payload)");
        }
        if ((callers > 0) == (rate > 0)) {
            throw new IllegalArgumentException("callers: " + callers + ", rate: " + rate
                    + " (expected: callers for a closed loop or a rate for an open loop, not both)");
        }
        if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("warmup: " + warmup + ", duration: " + duration + " (expected: >= 0, > 0)");
        }
    }

    public static LoadPlan closed(List<String> functions, double zipf, List<byte[]> payloads, int callers, Duration warmup,
            Duration duration) {
        return new LoadPlan(functions, zipf, payloads, callers, 0, warmup, duration);
    }

    public static LoadPlan open(List<String> functions, double zipf, List<byte[]> payloads, double rate, Duration warmup,
            Duration duration) {
        return new LoadPlan(functions, zipf, payloads, 0, rate, warmup, duration);
    }

    public boolean openLoop() {
        return rate > 0;
    }

    /** A JSON object of {@code bytes} bytes ({@code {"p":"xx..."}}), at least the 8 bytes of {@code {"p":""}}. */
    public static byte[] payloadOfSize(int bytes) {
        int fill = Math.max(0, bytes - 8);
        return ("{\"p\":\"" + "x".repeat(fill) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
