package dev.floe.worker.environment;

import dev.floe.worker.sandbox.Cell;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Freezes an idle environment once its grace has passed, and thaws it for the next invocation.
 * Confined to the environment's event loop, like the environment. The kernel freezes a cgroup
 * asynchronously, so a freeze is requested, then confirmed by polling with backoff on the loop, never
 * blocking it. The grace timer is lazy: a busy environment does not schedule and cancel a timer on
 * every invocation.
 */
final class EnvironmentFreezer {
    private static final System.Logger LOG = System.getLogger(EnvironmentFreezer.class.getName());
    private static final long CONFIRM_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How often a freeze that has not completed is asked for again (about 1.3 ms of polling comes first). */
    private static final long REPEAT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long FIRST_POLL_NANOS = 20_000;

    private final String environmentId;
    private final EnvironmentHost host;
    private final EventLoop loop;
    private final BooleanSupplier idle;
    private final Runnable frozen;
    private final Consumer<RetireReason> failed;

    private Cell cell;
    private long idleSinceNanos;
    private boolean requested;
    private ScheduledFuture<?> graceCheck;
    private ScheduledFuture<?> confirmation;

    /**
     * @param idle whether the environment is still idle (a freeze applies only then)
     * @param frozen called once every process is stopped
     * @param failed called with a retirement reason when the freezer cannot do its job
     */
    EnvironmentFreezer(String environmentId, EnvironmentHost host, EventLoop loop, BooleanSupplier idle, Runnable frozen,
                       Consumer<RetireReason> failed) {
        this.environmentId = environmentId;
        this.host = host;
        this.loop = loop;
        this.idle = idle;
        this.frozen = frozen;
        this.failed = failed;
    }

    void holds(Cell cell) {
        this.cell = cell;
    }

    /** The environment just became idle: freeze it when the grace has passed, unless it is busy again by then. */
    void idle() {
        idleSinceNanos = host.ticker().getAsLong();
        if (graceCheck == null) {
            graceCheck = loop.schedule(this::graceDue, host.freezeGrace().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Lets the environment's processes run again, if they were stopped; false if that failed (reported through {@code failed}). */
    boolean thaw() {
        if (!requested) {
            return true;
        }
        long started = host.ticker().getAsLong();
        try {
            host.sandbox().freezeDriver().thaw(cell);
            requested = false;
            host.metrics().thawed(host.ticker().getAsLong() - started);
            return true;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot thaw environment " + environmentId + ": " + e.getMessage());
            failed.accept(RetireReason.THAW_FAILED);
            return false;
        }
    }

    void cancel() {
        if (graceCheck != null) {
            graceCheck.cancel(false);
        }
        if (confirmation != null) {
            confirmation.cancel(false);
        }
    }

    private void graceDue() {
        graceCheck = null;
        if (!idle.getAsBoolean()) {
            return;
        }
        long left = idleSinceNanos + host.freezeGrace().toNanos() - host.ticker().getAsLong();
        if (left > 0) {
            graceCheck = loop.schedule(this::graceDue, left, TimeUnit.NANOSECONDS);
        } else {
            freeze();
        }
    }

    private void freeze() {
        long started = host.ticker().getAsLong();
        try {
            host.sandbox().freezeDriver().freeze(cell);
            requested = true;
            confirm(started, FIRST_POLL_NANOS);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot freeze environment " + environmentId + ": " + e.getMessage());
            failed.accept(RetireReason.FREEZE_FAILED);
        }
    }

    /**
     * Polls, backing off, until every process stopped. A task forked while the freeze was being
     * applied can escape the v1 freezer, leaving the cgroup FREEZING; asking again reaches every task,
     * so the request is repeated while it lasts.
     */
    private void confirm(long started, long pauseNanos) {
        if (!idle.getAsBoolean() || !requested) {
            return;
        }
        try {
            if (host.sandbox().freezeDriver().isFrozen(cell)) {
                long now = host.ticker().getAsLong();
                host.metrics().frozen(now - started);
                host.metrics().idleToFrozen(now - idleSinceNanos);
                frozen.run();
                return;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the freezer of " + environmentId + ": " + e.getMessage());
        }
        if (host.ticker().getAsLong() - started > CONFIRM_LIMIT_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "environment " + environmentId + " did not freeze within 5 s; retiring it");
            failed.accept(RetireReason.FREEZE_FAILED);
            return;
        }
        if (pauseNanos >= REPEAT_NANOS) {
            try {
                host.sandbox().freezeDriver().freeze(cell);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot freeze environment " + environmentId + ": " + e.getMessage());
            }
        }
        confirmation = loop.schedule(() -> confirm(started, Math.min(pauseNanos * 2, REPEAT_NANOS)), pauseNanos,
                TimeUnit.NANOSECONDS);
    }
}
