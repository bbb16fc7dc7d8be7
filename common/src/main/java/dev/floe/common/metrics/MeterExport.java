package dev.floe.common.metrics;

import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * A component's meters, exported: what it records in {@link #registry()} lands in a Prometheus registry
 * with the JVM's and the process's meters, and {@link #serve} puts them on {@code GET /metrics}. The
 * Prometheus registry names them its way: {@code floe.controller.invocations} becomes
 * {@code floe_controller_invocations_total}, the timer {@code floe.worker.init} becomes
 * {@code floe_worker_init_seconds} (count, sum, max and the quantiles it publishes).
 */
public final class MeterExport implements AutoCloseable {
    private final PrometheusMeterRegistry prometheus;
    private final MeterRegistry registry;
    private final ProcessMeters process;
    private MetricsServer server;
    private boolean closed;

    private MeterExport(PrometheusMeterRegistry prometheus, MeterRegistry registry) {
        this.prometheus = prometheus;
        this.registry = registry;
        this.process = ProcessMeters.bindTo(prometheus);
    }

    /**
     * An export of its own registry; {@code also}, unless null, receives every meter too (a registry the
     * embedding program reads). A {@link PrometheusMeterRegistry} given as {@code also} is used as is.
     */
    public static MeterExport create(MeterRegistry also) {
        if (also instanceof PrometheusMeterRegistry given) {
            return new MeterExport(given, given);
        }
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (also == null) {
            return new MeterExport(prometheus, prometheus);
        }
        return new MeterExport(prometheus, new CompositeMeterRegistry().add(also).add(prometheus));
    }

    /** Where the component records its meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text a scrape returns now. */
    public String scrape() {
        return prometheus.scrape(MetricsServer.CONTENT_TYPE);
    }

    /** Serves {@code /metrics} and {@code /healthz} on {@code address} (port 0: any free one) until closed. */
    public synchronized MetricsServer serve(HostPort address, EventLoopGroup loops, Supplier<Health> health) throws IOException {
        if (server != null || closed) {
            throw new IllegalStateException("metrics: " + (closed ? "closed" : "already served") + " (expected: serve once, before close)");
        }
        server = MetricsServer.start(address, loops, prometheus, health);
        return server;
    }

    /** Stops serving and unbinds the process meters; the registry keeps what it counted. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Lifecycles.closeQuietly(server);
        process.close();
    }
}
