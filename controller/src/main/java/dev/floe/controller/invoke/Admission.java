package dev.floe.controller.invoke;

import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Concurrency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether an invocation may start now, by Lambda's concurrency rules: the fleet runs at most
 * {@link Limits#concurrency()} invocations at once; a function with reserved concurrency has its
 * reservation to itself and never more, and every other function shares what is left (the unreserved
 * pool), of which at least {@link #minUnreserved()} always stays.
 *
 * <p>An invocation over its limit waits in a bounded queue for at most {@link Limits#maxWait()}, then
 * is refused with {@code TooManyRequestsException} and a retry hint. The same queue holds invocations
 * that found no worker with room for them (the fleet is full): each invocation that ends wakes the
 * oldest of them to try again, and {@link #roomChanged()} (a worker joined, environments were retired)
 * wakes them all. Lambda refuses at once instead of queueing; a short wait smooths the bursts a load
 * rig makes without hiding a fleet that is really too small.
 *
 * <p>Thread-safe; waiting costs no thread. Timeouts run on the given scheduler.
 */
public final class Admission {
    /** How long a refused caller is told to wait before retrying, at least. */
    static final Duration MIN_RETRY_AFTER = Duration.ofMillis(100);

    /**
     * @param concurrency invocations the fleet runs at once (Lambda's account default is 1,000)
     * @param queueCapacity invocations that may wait at once; beyond it they are refused at once
     * @param maxWait how long one may wait; zero refuses at once
     */
    public record Limits(int concurrency, int queueCapacity, Duration maxWait) {
        public static final Limits DEFAULT = new Limits(1_000, 10_000, Duration.ofSeconds(1));

        public Limits {
            Check.range("concurrency", concurrency, 1, 1_000_000);
            Check.range("queueCapacity", queueCapacity, 0, 1_000_000);
            Check.notNull("maxWait", maxWait);
            if (maxWait.isNegative() || maxWait.compareTo(Duration.ofMinutes(15)) > 0) {
                throw new IllegalArgumentException("maxWait: " + maxWait + " (expected: 0..15 minutes)");
            }
        }
    }

    /** The right to run one invocation; {@link #release()} it when the invocation ends. */
    public final class Permit {
        private final String function;
        private final boolean reservedPool;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(String function, boolean reservedPool) {
            this.function = function;
            this.reservedPool = reservedPool;
        }

        /** Gives the slot back and lets a waiting invocation take it. Idempotent. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                released(this);
            }
        }
    }

    private enum Kind { PERMIT, ROOM }

    private final class Waiter {
        final Kind kind;
        final String function;
        final CompletableFuture<Permit> permit;
        final CompletableFuture<Boolean> room;
        ScheduledFuture<?> timeout;

        Waiter(Kind kind, String function) {
            this.kind = kind;
            this.function = function;
            this.permit = kind == Kind.PERMIT ? new CompletableFuture<>() : null;
            this.room = kind == Kind.ROOM ? new CompletableFuture<>() : null;
        }
    }

    private final Limits limits;
    private final ScheduledExecutorService timers;
    private final Object lock = new Object();
    private final Map<String, Integer> reserved = new HashMap<>();
    private final Map<String, Integer> running = new HashMap<>();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private int reservedTotal;
    private int unreservedRunning;

    public Admission(Limits limits, ScheduledExecutorService timers) {
        this.limits = Check.notNull("limits", limits);
        this.timers = Check.notNull("timers", timers);
    }

    public Limits limits() {
        return limits;
    }

    /** Controllers sharing the fleet's concurrency (a cluster's live members): each runs its share of the unreserved part. */
    private volatile int sharers = 1;

    /** Divides the unreserved concurrency among {@code controllers} live controllers (1: all of it here). */
    public void shareAmong(int controllers) {
        this.sharers = Math.max(1, controllers);
    }

    /** This controller's part of the unreserved concurrency: rounded up, so a small fleet limit still runs something everywhere. */
    private int unreservedShare() {
        return Math.ceilDiv(Math.max(0, limits.concurrency() - reservedTotal), sharers);
    }

    /** The part of the fleet's concurrency that no function has reserved. */
    public int unreserved() {
        synchronized (lock) {
            return Math.max(0, limits.concurrency() - reservedTotal);
        }
    }

    /** The part of the fleet's concurrency that reservations can never take: Lambda keeps 100 of 1,000. */
    public int minUnreserved() {
        return Math.min(100, Math.max(1, limits.concurrency() / 10));
    }

    /**
     * A permit for one invocation of {@code function}: at once when its pool has room, after a wait
     * in the queue otherwise, or a {@code TooManyRequestsException} when the queue is full or the wait ends.
     */
    public CompletableFuture<Permit> admit(String function) {
        Waiter waiter;
        synchronized (lock) {
            Permit permit = tryTake(function);
            if (permit != null) {
                return CompletableFuture.completedFuture(permit);
            }
            if (!canWait()) {
                return CompletableFuture.failedFuture(throttled(function, "the wait queue is full"));
            }
            waiter = enqueue(new Waiter(Kind.PERMIT, function), false);
        }
        schedule(waiter, limits.maxWait(), () -> waiter.permit.completeExceptionally(
                throttled(function, "no slot freed within " + limits.maxWait().toMillis() + " ms")));
        return waiter.permit;
    }

    /**
     * Waits, in the queue, until some invocation ends or the fleet changes, for at most {@code max}:
     * true when woken (the caller tries to place again), false when the time ran out or the queue is full.
     *
     * @param again the caller waited before and goes back to the head of the queue
     */
    public CompletableFuture<Boolean> awaitRoom(String function, Duration max, boolean again) {
        if (max.isNegative() || max.isZero()) {
            return CompletableFuture.completedFuture(false);
        }
        Waiter waiter;
        synchronized (lock) {
            if (!again && !canWait()) {
                return CompletableFuture.completedFuture(false);
            }
            waiter = enqueue(new Waiter(Kind.ROOM, function), again);
        }
        schedule(waiter, max, () -> waiter.room.complete(false));
        return waiter.room;
    }

    /** Wakes every invocation waiting for room: the fleet gained some. */
    public void roomChanged() {
        List<Waiter> woken = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.kind == Kind.ROOM) {
                    it.remove();
                    woken.add(w);
                }
            }
        }
        woken.forEach(w -> wake(w, null));
    }

    /**
     * Throws {@code InvalidParameterValueException} if {@code function} may not have the {@code proposed}
     * reservation: all reservations together must leave {@link #minUnreserved()} of the fleet's concurrency.
     */
    public void checkReservation(String function, Concurrency proposed) {
        if (!proposed.hasReserved()) {
            return;
        }
        int allowed;
        synchronized (lock) {
            allowed = limits.concurrency() - minUnreserved() - (reservedTotal - reserved.getOrDefault(function, 0));
        }
        if (proposed.getReserved() > allowed) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "reserved concurrency: " + proposed.getReserved()
                    + " (expected: at most " + Math.max(0, allowed) + ": the fleet runs " + limits.concurrency()
                    + " invocations at once, keeps " + minUnreserved() + " for functions without a reservation, and other"
                    + " functions reserve " + (limits.concurrency() - minUnreserved() - allowed) + ")");
        }
    }

    /** Takes the function's settings into account from now on: an invocation already admitted keeps its slot. */
    public void reserve(String function, Concurrency settings) {
        List<Runnable> completions = new ArrayList<>();
        synchronized (lock) {
            Integer before = settings.hasReserved() ? reserved.put(function, settings.getReserved()) : reserved.remove(function);
            reservedTotal += (settings.hasReserved() ? settings.getReserved() : 0) - (before == null ? 0 : before);
            admitWaiting(completions);
        }
        completions.forEach(Runnable::run);
    }

    /** Forgets a deleted function's reservation. */
    public void forget(String function) {
        reserve(function, Concurrency.getDefaultInstance());
    }

    /** Invocations waiting in the queue now. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Invocations of {@code function} running now. */
    public int running(String function) {
        synchronized (lock) {
            return running.getOrDefault(function, 0);
        }
    }

    private Permit tryTake(String function) {
        Integer reservation = reserved.get(function);
        if (reservation != null) {
            if (running.getOrDefault(function, 0) >= reservation) {
                return null;
            }
        } else if (unreservedRunning >= unreservedShare()) {
            return null;
        } else {
            unreservedRunning++;
        }
        running.merge(function, 1, Integer::sum);
        return new Permit(function, reservation != null);
    }

    private void released(Permit permit) {
        List<Runnable> completions = new ArrayList<>();
        synchronized (lock) {
            if (running.merge(permit.function, -1, Integer::sum) <= 0) {
                running.remove(permit.function);
            }
            if (!permit.reservedPool) {
                unreservedRunning--;
            }
            admitWaiting(completions);
            // The invocation's environment and memory are free again: the oldest invocation waiting for room tries.
            for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.kind == Kind.ROOM) {
                    it.remove();
                    completions.add(() -> wake(w, null));
                    break;
                }
            }
        }
        completions.forEach(Runnable::run);
    }

    /** Gives a slot to every waiting invocation whose pool now has room, oldest first. Under the lock. */
    private void admitWaiting(List<Runnable> completions) {
        for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.kind != Kind.PERMIT) {
                continue;
            }
            Permit permit = tryTake(w.function);
            if (permit != null) {
                it.remove();
                completions.add(() -> wake(w, permit));
            }
        }
    }

    private void wake(Waiter w, Permit permit) {
        if (w.timeout != null) {
            w.timeout.cancel(false);
        }
        if (w.kind == Kind.ROOM) {
            w.room.complete(true);
        } else if (!w.permit.complete(permit)) {
            // it timed out at the same moment: the slot goes back
            permit.release();
        }
    }

    private boolean canWait() {
        return limits.maxWait().isPositive() && waiting.size() < limits.queueCapacity();
    }

    private Waiter enqueue(Waiter waiter, boolean first) {
        if (first) {
            waiting.addFirst(waiter);
        } else {
            waiting.addLast(waiter);
        }
        return waiter;
    }

    private void schedule(Waiter waiter, Duration after, Runnable onTimeout) {
        ScheduledFuture<?> task = timers.schedule(() -> {
            boolean removed;
            synchronized (lock) {
                removed = waiting.remove(waiter);
            }
            if (removed) {
                onTimeout.run();
            }
        }, after.toNanos(), TimeUnit.NANOSECONDS);
        synchronized (lock) {
            waiter.timeout = task;
        }
    }

    private FloeException throttled(String function, String why) {
        Duration retryAfter = limits.maxWait().compareTo(MIN_RETRY_AFTER) > 0 ? limits.maxWait() : MIN_RETRY_AFTER;
        Integer reservation;
        synchronized (lock) {
            reservation = reserved.get(function);
        }
        String message = reservation != null
                ? "Rate Exceeded: " + function + " runs its reserved concurrency of " + reservation
                        + " invocations at once (ReservedFunctionConcurrentInvocationLimitExceeded); " + why
                : "Rate Exceeded: the fleet runs its concurrency limit of invocations at once ("
                        + (limits.concurrency() - reservedTotalNow()) + " unreserved; ConcurrentInvocationLimitExceeded); " + why;
        return new FloeException(ErrorType.TOO_MANY_REQUESTS, message + "; retry after " + retryAfter.toMillis() + " ms", retryAfter,
                reservation != null ? FloeException.RESERVED_CONCURRENCY_REASON : FloeException.CONCURRENCY_REASON);
    }

    private int reservedTotalNow() {
        synchronized (lock) {
            return reservedTotal;
        }
    }
}
