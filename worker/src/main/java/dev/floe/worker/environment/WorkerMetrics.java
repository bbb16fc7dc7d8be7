package dev.floe.worker.environment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker's meters: cold and warm starts, init and invoke durations, freeze and thaw latency,
 * retirements by reason, and environments by state.
 */
public final class WorkerMetrics {
    private final MeterRegistry registry;
    private final String workerId;
    private final Counter coldStarts;
    private final Counter warmStarts;
    private final Timer init;
    private final Timer invoke;
    private final Timer freeze;
    private final Timer thaw;
    private final Timer idleToFrozen;
    private final Counter logDropped;
    private final Map<EnvironmentState, AtomicInteger> byState = new EnumMap<>(EnvironmentState.class);

    public WorkerMetrics(MeterRegistry registry, String workerId) {
        this.registry = registry;
        this.coldStarts = Counter.builder("floe.worker.starts").tag("worker", workerId).tag("kind", "cold")
                .description("invocations that started a new environment").register(registry);
        this.warmStarts = Counter.builder("floe.worker.starts").tag("worker", workerId).tag("kind", "warm")
                .description("invocations that reused an environment").register(registry);
        this.init = Timer.builder("floe.worker.init").tag("worker", workerId).publishPercentiles(0.5, 0.99)
                .description("from spawning the runtime to its first request for an invocation").register(registry);
        this.invoke = Timer.builder("floe.worker.invoke").tag("worker", workerId).publishPercentiles(0.5, 0.99)
                .description("from delivering an invocation to its response").register(registry);
        this.freeze = Timer.builder("floe.worker.freeze").tag("worker", workerId).publishPercentiles(0.5, 0.99)
                .description("from requesting a freeze to every process stopped").register(registry);
        this.thaw = Timer.builder("floe.worker.thaw").tag("worker", workerId).publishPercentiles(0.5, 0.99)
                .description("from requesting a thaw to the processes runnable").register(registry);
        this.idleToFrozen = Timer.builder("floe.worker.idle.to.frozen").tag("worker", workerId).publishPercentiles(0.5, 0.99)
                .description("from the runtime's request for the next invocation to every process stopped (grace included)")
                .register(registry);
        this.logDropped = Counter.builder("floe.worker.log.dropped").tag("worker", workerId).baseUnit("bytes")
                .description("runtimes' output dropped past their log's cap").register(registry);
        for (EnvironmentState state : EnvironmentState.values()) {
            if (state == EnvironmentState.RETIRED) {
                continue;
            }
            AtomicInteger count = new AtomicInteger();
            byState.put(state, count);
            Gauge.builder("floe.worker.environments", count, AtomicInteger::get)
                    .tag("worker", workerId).tag("state", state.name())
                    .description("environments in each state").register(registry);
        }
        this.workerId = workerId;
    }

    public MeterRegistry registry() {
        return registry;
    }

    void started(boolean cold) {
        (cold ? coldStarts : warmStarts).increment();
    }

    void initialized(long nanos) {
        init.record(nanos, TimeUnit.NANOSECONDS);
    }

    void invoked(long nanos) {
        invoke.record(nanos, TimeUnit.NANOSECONDS);
    }

    void frozen(long nanos) {
        freeze.record(nanos, TimeUnit.NANOSECONDS);
    }

    void idleToFrozen(long nanos) {
        idleToFrozen.record(nanos, TimeUnit.NANOSECONDS);
    }

    void logDropped(long bytes) {
        logDropped.increment(bytes);
    }

    void thawed(long nanos) {
        thaw.record(nanos, TimeUnit.NANOSECONDS);
    }

    void transition(EnvironmentState from, EnvironmentState to) {
        if (from != null && byState.containsKey(from)) {
            byState.get(from).decrementAndGet();
        }
        if (byState.containsKey(to)) {
            byState.get(to).incrementAndGet();
        }
    }

    void retired(RetireReason reason) {
        Counter.builder("floe.worker.retirements").tag("worker", workerId).tag("reason", reason.wireName())
                .description("environments retired, by reason").register(registry).increment();
    }

    public Timer freezeTimer() {
        return freeze;
    }

    public Timer thawTimer() {
        return thaw;
    }
}
