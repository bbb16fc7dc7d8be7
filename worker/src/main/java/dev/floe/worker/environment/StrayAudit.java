package dev.floe.worker.environment;

import io.micrometer.core.instrument.Counter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The second line behind every path that gives up on an environment: periodically compares the
 * cgroups the worker owns with the environments it knows (live or being cleaned up), and kills and
 * removes any other, counted in {@code floe.worker.environment.strays}. A cgroup is a stray only when
 * two audits in a row find it unknown, so one being created or removed meanwhile is not taken for one.
 */
final class StrayAudit implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StrayAudit.class.getName());

    private final EnvironmentHost host;
    private final Supplier<Set<String>> known;
    private final Counter strays;
    private final ScheduledFuture<?> schedule;
    /** Unknown at the last audit: strays if still unknown at this one. Touched by one audit at a time. */
    private Set<String> suspects = Set.of();
    private volatile CompletableFuture<Void> running = CompletableFuture.completedFuture(null);

    StrayAudit(EnvironmentHost host, io.netty.channel.EventLoopGroup loops, Duration interval, Supplier<Set<String>> known) {
        this.host = host;
        this.known = known;
        this.strays = Counter.builder("floe.worker.environment.strays").tag("worker", host.workerId())
                .description("environment cgroups found with no environment the worker knows, killed and removed")
                .register(host.metrics().registry());
        long nanos = interval.toNanos();
        this.schedule = loops.next().scheduleAtFixedRate(this::audit, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    private void audit() {
        if (!running.isDone()) {
            return;
        }
        running = CompletableFuture.runAsync(this::auditNow, host.blocking());
    }

    /** One audit; returns how many strays it removed. Blocking. */
    synchronized int auditNow() {
        Set<String> unknown = new HashSet<>(host.sandbox().cellIds());
        unknown.removeAll(known.get());
        int removed = 0;
        for (String id : unknown) {
            if (suspects.contains(id)) {
                LOG.log(System.Logger.Level.WARNING, "removing environment cgroup " + id + ", which no environment of this worker owns");
                try {
                    host.sandbox().removeCell(id);
                    strays.increment();
                    removed++;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove stray " + id + ": " + e.getMessage());
                }
            }
        }
        unknown.removeIf(suspects::contains);
        suspects = unknown;
        return removed;
    }

    @Override
    public void close() {
        schedule.cancel(false);
        running.join();
    }
}
