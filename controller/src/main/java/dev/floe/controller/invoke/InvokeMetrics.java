package dev.floe.controller.invoke;

import dev.floe.controller.placement.Placement;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The controller's invocation meters: {@code floe.controller.invocations} by outcome ({@code success},
 * {@code function_error}, or the Floe error type) and function, {@code floe.controller.placements} by decision
 * ({@code warm}, {@code busy_handoff}, {@code cold}, {@code none}), and {@code floe.controller.invoke.latency},
 * the time from request to answer as the controller sees it, by outcome, and {@code floe.controller.streams.waiting},
 * the streamed responses paused because their caller has not read the last piece.
 */
public final class InvokeMetrics {
    public static final String INVOCATIONS = "floe.controller.invocations";
    public static final String PLACEMENTS = "floe.controller.placements";
    public static final String LATENCY = "floe.controller.invoke.latency";
    public static final String STREAMS_WAITING = "floe.controller.streams.waiting";

    private final MeterRegistry registry;
    private final Map<Placement.Kind, Counter> placements = new EnumMap<>(Placement.Kind.class);
    private final Counter noPlacement;
    private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Latency by outcome; outcomes are few: success, function_error and the error types. */
    private final Map<String, Timer> latencyByOutcome = new java.util.concurrent.ConcurrentHashMap<>();
    /** Invocations by function and outcome. */
    private final Map<String, Map<String, Counter>> invocations = new java.util.concurrent.ConcurrentHashMap<>();
    /** Streamed responses whose caller has not taken the last piece yet: the controller asks their workers for nothing. */
    private final java.util.concurrent.atomic.AtomicInteger streamsWaiting = new java.util.concurrent.atomic.AtomicInteger();

    public InvokeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Placement.Kind kind : Placement.Kind.values()) {
            placements.put(kind, placementCounter(kind.name().toLowerCase(Locale.ROOT)));
        }
        this.noPlacement = placementCounter("none");
        io.micrometer.core.instrument.Gauge.builder(STREAMS_WAITING, streamsWaiting, java.util.concurrent.atomic.AtomicInteger::get)
                .description("Streamed responses paused until their caller reads on").register(registry);
    }

    /**
     * {@code sink}, counted in {@code floe.controller.streams.waiting} while it holds a piece its caller
     * has not taken, until {@code end} completes (a cancelled stream never asks for more).
     */
    ChunkSink counted(ChunkSink sink, java.util.concurrent.CompletableFuture<?> end) {
        WaitingStream counted = new WaitingStream(sink);
        end.whenComplete((r, f) -> counted.end());
        return counted;
    }

    private final class WaitingStream implements ChunkSink {
        private final ChunkSink sink;
        private boolean asked;
        private boolean waiting;
        private boolean ended;

        WaitingStream(ChunkSink sink) {
            this.sink = sink;
        }

        @Override
        public void accept(com.google.protobuf.ByteString chunk, Runnable more) {
            synchronized (this) {
                asked = false; // the worker sends no other piece before this one's more
            }
            sink.accept(chunk, () -> {
                asked();
                more.run();
            });
            synchronized (this) {
                if (!asked && !ended && !waiting) {
                    waiting = true;
                    streamsWaiting.incrementAndGet();
                }
            }
        }

        private synchronized void asked() {
            asked = true;
            stopWaiting();
        }

        synchronized void end() {
            ended = true;
            stopWaiting();
        }

        private void stopWaiting() {
            if (waiting) {
                waiting = false;
                streamsWaiting.decrementAndGet();
            }
        }
    }

    private Counter placementCounter(String decision) {
        return Counter.builder(PLACEMENTS).tag("decision", decision)
                .description("Placement decisions, by the rule that chose the worker").register(registry);
    }

    /** Hears of every placement and every answer, after the meters: the web view's activity comes from here. */
    public interface Listener {
        default void placed(String function, Placement.Decision decision) {}

        /** {@code function}: "" when the call named none that exists; {@code nanos}: from arrival to answer. */
        default void finished(String function, String outcome, long nanos) {}
    }

    /** Adds a listener; it must be quick and must not block. */
    public void listen(Listener listener) {
        listeners.add(listener);
    }

    void placed(Placement.Decision decision, String function) {
        placements.get(decision.kind()).increment();
        for (Listener l : listeners) {
            l.placed(function, decision);
        }
    }

    void notPlaced() {
        noPlacement.increment();
    }

    Timer.Sample start() {
        return Timer.start(registry);
    }

    /**
     * {@code function}: the function's name, "" when the call named none that exists. Meters are looked
     * up once per function and outcome: building a meter's id and finding it in the registry on every
     * invocation showed in profiles.
     */
    void finished(Timer.Sample sample, String outcome, String function) {
        invocations.computeIfAbsent(function, f -> new java.util.concurrent.ConcurrentHashMap<>())
                .computeIfAbsent(outcome, o -> Counter.builder(INVOCATIONS).tag("outcome", o).tag("function", function)
                        .description("Invocations, by outcome and function").register(registry))
                .increment();
        long nanos = sample.stop(latencyByOutcome.computeIfAbsent(outcome, o -> Timer.builder(LATENCY).tag("outcome", o)
                .publishPercentiles(0.5, 0.99).description("From the invocation's arrival to its answer").register(registry)));
        for (Listener l : listeners) {
            l.finished(function, outcome, nanos);
        }
    }
}
