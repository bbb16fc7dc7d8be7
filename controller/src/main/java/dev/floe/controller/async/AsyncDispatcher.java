package dev.floe.controller.async;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.Qualifier;
import dev.floe.controller.async.RetryPolicy.Ending;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.InvokeResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Takes due invocations from the store and runs them, at most {@code maxInFlight} at a time, then
 * records each attempt's end as the {@link RetryPolicy} decides. One thread claims; attempts run
 * without holding it, and their ends are recorded on the thread that delivers them.
 *
 * <p>How many run at once adapts to the fleet's room (additive increase, multiplicative decrease, as
 * TCP's congestion window): a throttled attempt halves the window, a finished one widens it by one,
 * up to {@code maxInFlight}. So a backlog neither hammers a full fleet with attempts that come back
 * throttled nor waits longer than the room it has.
 *
 * <p>It claims nothing while no worker is connected (after a controller restart the workers take a
 * moment to come back), so that attempts are not spent on an empty fleet; events still age meanwhile.
 */
final class AsyncDispatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AsyncDispatcher.class.getName());
    /** How often the store is looked at when nothing wakes the dispatcher: retries come due by time. */
    private static final long POLL_MS = 100;

    /** Where attempts' ends are recorded: a virtual thread each. */
    private static final java.util.concurrent.Executor ENDS = r -> Thread.ofVirtual().name("floe-controller-async-end").start(r);

    private final AsyncStore store;
    private final AsyncQueue.Runner runner;
    private final RetryPolicy policy;
    private final AsyncQueue.Policies policies;
    private final InstantSource clock;
    private final BooleanSupplier canRun;
    private final int maxInFlight;
    private final AsyncMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger window;
    private final Semaphore wake = new Semaphore(0);
    private final Thread thread;
    private volatile boolean closed;
    /** A store that keeps failing (a full disk) is reported once, not on every poll or every end. */
    private final FailureReport claiming = new FailureReport(LOG, "the asynchronous dispatcher could not take invocations");
    private final FailureReport recording = new FailureReport(LOG, "the asynchronous dispatcher could not record the end of"
            + " invocations, which stay running and are queued again when the controller next starts");

    AsyncDispatcher(AsyncStore store, AsyncQueue.Runner runner, RetryPolicy policy, AsyncQueue.Policies policies,
            InstantSource clock, BooleanSupplier canRun, int maxInFlight, AsyncMetrics metrics) {
        this.store = store;
        this.runner = runner;
        this.policy = policy;
        this.policies = policies;
        this.clock = clock;
        this.canRun = canRun;
        this.maxInFlight = maxInFlight;
        this.metrics = metrics;
        this.window = new AtomicInteger(maxInFlight);
        this.thread = Thread.ofPlatform().name("floe-controller-async-dispatch").daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Something may have come due: look at the store now rather than at the next poll. */
    void wake() {
        wake.release();
    }

    private void loop() {
        while (!closed) {
            try {
                int room = window.get() - inFlight.get();
                List<AsyncStore.Claim> claims = List.of();
                if (room > 0 && canRun.getAsBoolean()) {
                    long now = clock.millis();
                    claims = store.claimDue(now, now - policy.maxEventAge().toMillis(), policy.ageReason(), Math.min(room, 64));
                    claiming.succeeded();
                }
                for (AsyncStore.Claim claim : claims) {
                    run(claim);
                }
                if (claims.isEmpty() || inFlight.get() >= window.get()) {
                    wake.tryAcquire(POLL_MS, TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                // The next round tries again; a store that keeps failing is reported once.
                claiming.failed(e);
                try {
                    wake.tryAcquire(POLL_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void run(AsyncStore.Claim claim) {
        inFlight.incrementAndGet();
        metrics.started();
        CompletableFuture<InvokeResponse> attempt;
        try {
            attempt = runner.run(claim.function(), claim.qualifier(), claim.payload());
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        // Recording the end waits for a commit: never on the thread that completed the attempt, which
        // may be an event loop (the heartbeat sweep fails attempts of lost workers).
        attempt.whenCompleteAsync((response, failure) -> {
            try {
                record(claim, response, failure);
                recording.succeeded();
            } catch (RuntimeException e) {
                // Left RUNNING: the next start of the controller queues it again (at least once).
                if (!closed) {
                    recording.failed(e);
                }
            } finally {
                inFlight.decrementAndGet();
                wake();
            }
        }, ENDS);
    }

    private void record(AsyncStore.Claim claim, InvokeResponse response, Throwable failure) {
        AsyncStore.Attempt attempt;
        Ending ending;
        if (failure == null) {
            attempt = new AsyncStore.Attempt(response.getRequestId(), response.getRevision(), response.getPayload(),
                    response.getFunctionError(), response.getErrorType(), "");
            ending = response.getFunctionError().isEmpty() ? Ending.SUCCEEDED : Ending.FUNCTION_ERROR;
        } else {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (closed || cause instanceof CancellationException) {
                // Cut off by the controller's shutdown: leave it RUNNING, to be queued again on the next start.
                return;
            }
            FloeException floe = FloeException.fromThrowable(cause);
            attempt = AsyncStore.Attempt.failed(floe.type(), floe.getMessage());
            ending = Ending.of(floe.type());
        }
        long now = clock.millis();
        Duration age = Duration.ofMillis(Math.max(0, now - claim.acceptedMs()));
        RetryPolicy.Next next = policyOf(claim).after(ending, claim.attempts(), claim.throttles(), age);
        boolean throttled = ending == Ending.THROTTLED;
        if (throttled) {
            window.updateAndGet(w -> Math.max(1, w / 2));
        } else {
            window.updateAndGet(w -> Math.min(maxInFlight, w + 1));
        }
        switch (next) {
            case RetryPolicy.Next.Done done -> {
                store.finish(claim, attempt, AsyncInvocation.Status.SUCCEEDED, now, now, "", false);
                metrics.ended("succeeded");
            }
            case RetryPolicy.Next.Retry retry -> {
                store.finish(claim, attempt, AsyncInvocation.Status.FAILED, now, now + retry.delay().toMillis(), "", throttled);
                metrics.ended(throttled ? "throttled" : "retried");
            }
            case RetryPolicy.Next.DeadLetter dead -> {
                String reason = ending == Ending.HOPELESS ? floeReason(claim, attempt) : dead.reason();
                store.finish(claim, attempt, AsyncInvocation.Status.DEAD_LETTERED, now, now, reason, throttled);
                metrics.ended("dead_lettered");
            }
        }
    }

    /** The claim's function's policy; the queue's when it cannot be read (a function deleted meanwhile). */
    private RetryPolicy policyOf(AsyncStore.Claim claim) {
        try {
            return policies.of(claim.function(), claim.qualifier(), policy);
        } catch (RuntimeException e) {
            return policy;
        }
    }

    /**
     * Why an attempt that cannot run ends the invocation. With a qualifier, not found is most likely
     * its alias deleted meanwhile (a deleted function dead-letters its invocations at once), which the
     * message names.
     */
    private static String floeReason(AsyncStore.Claim claim, AsyncStore.Attempt attempt) {
        if (!attempt.errorType().equals(ErrorType.RESOURCE_NOT_FOUND.wireName())) {
            return "it cannot run: " + attempt.errorMessage();
        }
        return Qualifier.parse(claim.qualifier()).isLatest() ? "function not found" : "not found: " + attempt.errorMessage();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Stops claiming; attempts in flight are left to finish or to be queued again on the next start. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
