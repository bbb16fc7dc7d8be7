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
 * the time from request to answer as the controller sees it, by outcome.
 */
public final class InvokeMetrics {
    public static final String INVOCATIONS = "floe.controller.invocations";
    public static final String PLACEMENTS = "floe.controller.placements";
    public static final String LATENCY = "floe.controller.invoke.latency";

    private final MeterRegistry registry;
    private final Map<Placement.Kind, Counter> placements = new EnumMap<>(Placement.Kind.class);
    private final Counter noPlacement;

    public InvokeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Placement.Kind kind : Placement.Kind.values()) {
            placements.put(kind, placementCounter(kind.name().toLowerCase(Locale.ROOT)));
        }
        this.noPlacement = placementCounter("none");
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
        Counter.builder(INVOCATIONS).tag("outcome", outcome).description("Invocations, by outcome")
                .register(registry).increment();
        sample.stop(Timer.builder(LATENCY).tag("outcome", outcome)
                .description("From the invocation's arrival to its answer").register(registry));
    }
}
