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
 * {@code function_error}, or the Floe error type), {@code floe.controller.placements} by decision
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
    /** Outcomes are few: success, function_error and the error types. */
    private final Map<String, OutcomeMeters> byOutcome = new java.util.concurrent.ConcurrentHashMap<>();
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

    void placed(Placement.Kind kind) {
        placements.get(kind).increment();
    }

    void notPlaced() {
        noPlacement.increment();
    }

    Timer.Sample start() {
        return Timer.start(registry);
    }

    void finished(Timer.Sample sample, String outcome) {
        OutcomeMeters meters = byOutcome.computeIfAbsent(outcome, this::outcomeMeters);
        meters.invocations().increment();
        sample.stop(meters.latency());
    }

    /** Looked up once per outcome: building a meter's id and finding it in the registry on every invocation showed in profiles. */
    private record OutcomeMeters(Counter invocations, Timer latency) {}

    private OutcomeMeters outcomeMeters(String outcome) {
        return new OutcomeMeters(
                Counter.builder(INVOCATIONS).tag("outcome", outcome).description("Invocations, by outcome").register(registry),
                Timer.builder(LATENCY).tag("outcome", outcome).description("From the invocation's arrival to its answer").register(registry));
    }
}
