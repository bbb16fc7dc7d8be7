package dev.floe.controller.async;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The asynchronous queue's meters: {@code floe.async.accepted}, {@code floe.async.attempts} and {@code floe.async.ends} by outcome. */
final class AsyncMetrics {
    private final MeterRegistry registry;
    private final Counter accepted;
    private final Counter attempts;

    AsyncMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.accepted = Counter.builder("floe.async.accepted").description("Asynchronous invocations durably queued").register(registry);
        this.attempts = Counter.builder("floe.async.attempts").description("Attempts started for asynchronous invocations").register(registry);
    }

    void accepted(int n) {
        accepted.increment(n);
    }

    void started() {
        attempts.increment();
    }

    /** An attempt's end: succeeded, retried, throttled or dead_lettered. */
    void ended(String outcome) {
        Counter.builder("floe.async.ends").description("Ends of asynchronous attempts, by what followed")
                .tag("outcome", outcome).register(registry).increment();
    }
}
