/**
 * Floe's meters made visible to operators: {@link dev.floe.common.metrics.MeterExport} records a
 * component's meters, with the JVM's and the process's ({@link dev.floe.common.metrics.ProcessMeters}), in
 * a Prometheus registry, and {@link dev.floe.common.metrics.MetricsServer} serves them as Prometheus text
 * on {@code GET /metrics}, beside {@code GET /healthz} ({@link dev.floe.common.metrics.Health}). The
 * controller and the worker each run one when given a metrics address.
 */
package dev.floe.common.metrics;
