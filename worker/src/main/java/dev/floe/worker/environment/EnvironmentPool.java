package dev.floe.worker.environment;

import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A worker's environments. For each invocation it takes the most recently used idle environment of
 * the revision (so the others can age out), or starts a new one if the worker's memory budget (the
 * sum of its environments' memory sizes) has room, retiring idle environments of any function, least
 * valuable first, to make it; a busy environment is never retired for room. Idle environments retire
 * when the {@link KeepAlivePolicy} says so.
 *
 * <p>The pool's own bookkeeping (which environments are idle, how much memory is reserved) is under
 * one lock held only for map operations; environments run on their event loops, and tell the pool of
 * each transition through {@code changed}.
 *
 * <p>Size: over 400 lines because placement, the memory budget, the hand-off to finishing
 * environments and provisioned concurrency share that one lock; provisioned concurrency is the next
 * part to move out (issue 9).
 */
public final class EnvironmentPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EnvironmentPool.class.getName());

    /** Receives every environment's state after every change, on the environment's event loop. */
    public interface Listener {
        void changed(EnvironmentView view);
    }

    private final EnvironmentHost host;
    private final EventLoopGroup loops;
    private final int budgetMb;
    private final KeepAlivePolicy keepAlive;
    private final Listener listener;
    private final int retainedLogs;
    private final long handoffWaitNanos;

    /** Each environment's latest reported view, written on its loop, read from anywhere. */
    private final Map<String, EnvironmentView> latest = new java.util.concurrent.ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final Map<String, Environment> live = new HashMap<>();
    private final Map<String, Deque<Idle>> idleByRevision = new HashMap<>();
    private final Set<String> holdingMemory = new HashSet<>();
    private final Set<String> retireOnRelease = new HashSet<>();
    /** Environments that answered their invocation and whose runtime has not asked for the next one yet. */
    private final Set<String> finishing = new HashSet<>();
    private final Map<String, Integer> finishingByRevision = new HashMap<>();
    /** Invocations waiting, briefly, for a finishing environment of their revision. */
    private final Map<String, Deque<Invocation>> waitingByRevision = new HashMap<>();
    private final Deque<Path> retiredDirs = new ArrayDeque<>();
    /** Provisioned concurrency: by revision id, how many environments to keep initialized, and of which function. */
    private final Map<String, ProvisionTarget> provisionTargets = new HashMap<>();
    private int reservedMb;
    private int cleaningUp;
    private boolean closed;
    private final ScheduledFuture<?> sweeper;
    private final StrayAudit audit;
    /** Environments whose clean-up runs, by id (a clean-up may run more than once as late resources arrive). */
    private final Map<String, Integer> cleaning = new HashMap<>();

    private EnvironmentPool(Builder b) {
        this.host = b.host;
        this.loops = b.loops;
        this.budgetMb = b.memoryBudgetMb;
        this.keepAlive = b.keepAlive;
        this.listener = b.listener;
        this.retainedLogs = b.retainedLogs;
        this.handoffWaitNanos = b.handoffWait.toNanos();
        long sweepNanos = b.sweepInterval.toNanos();
        this.sweeper = loops.next().scheduleAtFixedRate(this::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
        this.audit = new StrayAudit(host, loops, b.auditInterval, this::knownIds);
    }

    /** The environments that may own cgroups: live ones and those being cleaned up. */
    private Set<String> knownIds() {
        synchronized (lock) {
            Set<String> ids = new HashSet<>(live.keySet());
            ids.addAll(cleaning.keySet());
            return ids;
        }
    }

    /** Audits the worker's cgroups now (see {@link StrayAudit}); returns how many strays were removed. */
    int auditStrays() {
        return audit.auditNow();
    }

    public static Builder builder() {
        return new Builder();
    }

    private record ProvisionTarget(Function function, int count) {}

    /** An idle environment and what the keep-alive policy weighs. */
    private record Idle(Environment env, long sinceNanos, long invocations, double initDurationMs) {
        KeepAlivePolicy.IdleEnvironment forPolicy() {
            return new KeepAlivePolicy.IdleEnvironment(env.id(), env.function().getRevisionId(), env.memoryMb(),
                    sinceNanos, invocations, initDurationMs);
        }
    }

    /**
     * Runs one invocation of {@code function}: warm if an environment of its revision is idle or frozen,
     * else cold. Fails with {@link ErrorType#WORKER_FULL} when the budget has no room even after
     * retiring every idle environment.
     */
    public CompletableFuture<InvocationResult> invoke(Function function, InvocationRequest request) {
        return invoke(function, request, false);
    }

    /**
     * As {@link #invoke(Function, InvocationRequest)}; with {@code warmOnly}, when no environment of the
     * revision is idle (nor about to be), fails with {@link ErrorType#ENVIRONMENT_GONE} instead of
     * starting one: the controller placed it on an idle environment that is gone, and places it again.
     */
    public CompletableFuture<InvocationResult> invoke(Function function, InvocationRequest request, boolean warmOnly) {
        Invocation invocation = new Invocation(function, request, warmOnly);
        place(invocation, true);
        return invocation.result();
    }

    void reassign(Invocation invocation) {
        place(invocation, true);
    }

    /**
     * Places an invocation: on an idle environment of its revision; else, when one of its
     * environments has just answered and its runtime is about to ask for more, on that one after a
     * short wait (so back-to-back invocations stay warm); else on a new environment.
     */
    private void place(Invocation invocation, boolean mayWait) {
        Function function = invocation.function();
        String revisionId = function.getRevisionId();
        int needMb = function.getConfig().getMemoryMb();
        Environment warm;
        Environment cold = null;
        List<Environment> victims = List.of();
        FloeException refused = null;
        synchronized (lock) {
            if (closed) {
                refused = new FloeException(ErrorType.SERVICE_UNAVAILABLE, "the worker is shutting down");
            }
            warm = refused != null ? null : takeIdle(revisionId);
            if (refused == null && warm == null && mayWait && handoffWaitNanos > 0
                    && finishingByRevision.getOrDefault(revisionId, 0) > waiting(revisionId)) {
                waitingByRevision.computeIfAbsent(revisionId, r -> new ArrayDeque<>()).addLast(invocation);
                loops.next().schedule(() -> handoffExpired(invocation), handoffWaitNanos, TimeUnit.NANOSECONDS);
                return;
            }
            // Only on arrival: after waiting for a finishing environment (mayWait false) the environment
            // was there, just slow to ask for work, so the invocation starts here as any other.
            if (refused == null && warm == null && invocation.warmOnly() && mayWait) {
                refused = new FloeException(ErrorType.ENVIRONMENT_GONE, "worker " + host.workerId() + " has no idle environment of "
                        + function.getName() + " revision " + function.getRevision() + " (it retired or was taken meanwhile)");
            }
            if (refused == null && warm == null) {
                try {
                    victims = makeRoom(needMb);
                    reservedMb += needMb;
                    cold = new Environment(newId(), function, this, host, loops.next());
                    live.put(cold.id(), cold);
                    holdingMemory.add(cold.id());
                } catch (FloeException full) {
                    refused = full;
                }
            }
        }
        if (refused != null) {
            // Completed outside the lock: the caller's callbacks run in complete.
            invocation.fail(refused);
            return;
        }
        for (Environment victim : victims) {
            victim.retire(RetireReason.MEMORY_PRESSURE);
        }
        if (warm != null) {
            warm.assign(invocation);
        } else {
            cold.start(invocation);
        }
    }

    private int waiting(String revisionId) {
        Deque<Invocation> waiting = waitingByRevision.get(revisionId);
        return waiting == null ? 0 : waiting.size();
    }

    /** The finishing environment did not come back in time: start a new one instead. */
    private void handoffExpired(Invocation invocation) {
        boolean stillWaiting;
        synchronized (lock) {
            stillWaiting = removeWaiting(invocation);
        }
        if (stillWaiting) {
            place(invocation, false);
        }
    }

    private boolean removeWaiting(Invocation invocation) {
        String revisionId = invocation.function().getRevisionId();
        Deque<Invocation> waiting = waitingByRevision.get(revisionId);
        boolean removed = waiting != null && waiting.remove(invocation);
        if (waiting != null && waiting.isEmpty()) {
            waitingByRevision.remove(revisionId);
        }
        return removed;
    }

    /** The environment answered its invocation; its runtime will soon ask for the next one. */
    private void answered(Environment env) {
        synchronized (lock) {
            if (finishing.add(env.id())) {
                finishingByRevision.merge(env.function().getRevisionId(), 1, Integer::sum);
            }
        }
    }

    /** Ends the environment's finishing phase; returns a waiting invocation it should take, if any. */
    private Invocation doneFinishing(Environment env) {
        String revisionId = env.function().getRevisionId();
        if (finishing.remove(env.id())) {
            finishingByRevision.merge(revisionId, -1, Integer::sum);
            if (finishingByRevision.get(revisionId) <= 0) {
                finishingByRevision.remove(revisionId);
            }
        }
        Deque<Invocation> waiting = waitingByRevision.get(revisionId);
        Invocation next = waiting == null ? null : waiting.pollFirst();
        if (waiting != null && waiting.isEmpty()) {
            waitingByRevision.remove(revisionId);
        }
        return next;
    }

    private Environment takeIdle(String revisionId) {
        Deque<Idle> idle = idleByRevision.get(revisionId);
        if (idle == null) {
            return null;
        }
        Idle mostRecent = idle.pollFirst();
        if (idle.isEmpty()) {
            idleByRevision.remove(revisionId);
        }
        return mostRecent == null ? null : mostRecent.env();
    }

    /** Idle environments to retire so that {@code needMb} fits; takes them out of the idle sets. */
    private List<Environment> makeRoom(int needMb) {
        int free = budgetMb - reservedMb;
        if (free >= needMb) {
            return List.of();
        }
        List<Idle> candidates = new ArrayList<>();
        idleByRevision.values().forEach(idle -> idle.stream().filter(i -> !i.env().provisioned()).forEach(candidates::add));
        int reclaimable = candidates.stream().mapToInt(i -> i.env().memoryMb()).sum();
        if (free + reclaimable < needMb) {
            throw new FloeException(ErrorType.WORKER_FULL, "worker " + host.workerId() + " has " + free + " MB free of "
                    + budgetMb + " MB and " + reclaimable + " MB in idle environments; the function needs " + needMb + " MB");
        }
        Comparator<KeepAlivePolicy.IdleEnvironment> order = keepAlive.leastValuableFirst();
        candidates.sort((a, b) -> order.compare(a.forPolicy(), b.forPolicy()));
        List<Environment> victims = new ArrayList<>();
        for (Idle candidate : candidates) {
            if (free >= needMb) {
                break;
            }
            Environment env = candidate.env();
            removeIdle(env);
            releaseMemory(env);
            keepAlive.evicted(candidate.forPolicy());
            free += env.memoryMb();
            victims.add(env);
        }
        return victims;
    }

    /** The environment's runtime asked for more work: it takes a waiting invocation, or is idle now. */
    void released(Environment env, long invocations, double initDurationMs) {
        boolean retire;
        Invocation handoff = null;
        synchronized (lock) {
            retire = closed || retireOnRelease.remove(env.id());
            if (!retire) {
                handoff = doneFinishing(env);
                if (handoff == null) {
                    Idle idle = new Idle(env, host.ticker().getAsLong(), invocations, initDurationMs);
                    idleByRevision.computeIfAbsent(env.function().getRevisionId(), r -> new ArrayDeque<>()).addFirst(idle);
                    keepAlive.idle(idle.forPolicy(), idle.sinceNanos());
                }
            }
        }
        if (retire) {
            env.retire(closed ? RetireReason.SHUTDOWN : RetireReason.REVISION);
        } else if (handoff != null) {
            env.assign(handoff);
        }
    }

    private void retired(Environment env) {
        Invocation orphan;
        boolean replace;
        synchronized (lock) {
            live.remove(env.id());
            removeIdle(env);
            releaseMemory(env);
            keepAlive.retired(env.id(), env.function().getRevisionId());
            retireOnRelease.remove(env.id());
            orphan = finishing.contains(env.id()) ? doneFinishing(env) : null;
            replace = !closed && env.provisioned() && provisionTargets.containsKey(env.function().getRevisionId());
        }
        if (orphan != null) {
            place(orphan, false);
        }
        if (replace) {
            // A provisioned environment was lost (crash, timeout, out of memory): start its replacement,
            // after a pause so that a function whose init always fails does not spin.
            String revisionId = env.function().getRevisionId();
            loops.next().schedule(() -> provision(revisionId), REPLACE_AFTER.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** How long a lost provisioned environment waits before its replacement starts. */
    static final Duration REPLACE_AFTER = Duration.ofSeconds(1);

    /**
     * Keeps {@code count} environments of the function's revision initialized and exempt from the
     * keep-alive policy (Lambda's provisioned concurrency), replacing any that is lost; idle environments
     * of the revision are kept first, then new ones start (init only, no invocation). 0 releases them
     * to the keep-alive policy. Returns how many the worker holds for it now, starting ones included.
     * Fails with {@link ErrorType#WORKER_FULL} when the budget has no room for the rest.
     */
    public int provision(Function function, int count) {
        String revisionId = function.getRevisionId();
        synchronized (lock) {
            if (closed) {
                throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "the worker is shutting down");
            }
            if (count <= 0) {
                provisionTargets.remove(revisionId);
            } else {
                provisionTargets.put(revisionId, new ProvisionTarget(function, count));
            }
        }
        return provision(revisionId);
    }

    /** Brings the revision's provisioned environments to its target; returns how many it holds now. */
    private int provision(String revisionId) {
        List<Environment> keep = new ArrayList<>();
        List<Environment> release = new ArrayList<>();
        List<Environment> victims = new ArrayList<>();
        List<Environment> started = new ArrayList<>();
        FloeException full = null;
        int held;
        synchronized (lock) {
            ProvisionTarget target = provisionTargets.get(revisionId);
            int want = target == null || closed ? 0 : target.count();
            List<Environment> mine = live.values().stream()
                    .filter(e -> e.function().getRevisionId().equals(revisionId) && !retireOnRelease.contains(e.id()))
                    .toList();
            List<Environment> provisioned = mine.stream().filter(Environment::provisioned).toList();
            held = provisioned.size();
            for (int i = want; i < provisioned.size(); i++) {
                release.add(provisioned.get(i));
                held--;
            }
            // Idle environments of the revision are initialized already: keep those first.
            Deque<Idle> idle = idleByRevision.get(revisionId);
            if (idle != null) {
                for (Idle i : idle) {
                    if (held >= want) {
                        break;
                    }
                    if (!i.env().provisioned()) {
                        keep.add(i.env());
                        held++;
                    }
                }
            }
            while (held < want) {
                Function function = target.function();
                try {
                    victims.addAll(makeRoom(function.getConfig().getMemoryMb()));
                } catch (FloeException e) {
                    full = e;
                    break;
                }
                reservedMb += function.getConfig().getMemoryMb();
                Environment env = new Environment(newId(), function, this, host, loops.next());
                live.put(env.id(), env);
                holdingMemory.add(env.id());
                started.add(env);
                held++;
            }
        }
        victims.forEach(v -> v.retire(RetireReason.MEMORY_PRESSURE));
        release.forEach(e -> e.provisioned(false));
        keep.forEach(e -> e.provisioned(true));
        for (Environment env : started) {
            env.provisioned(true);
            Invocation init = Invocation.provisioning(env.function(), env.id());
            init.result().whenComplete((result, failure) -> {
                if (failure != null || result.failed()) {
                    LOG.log(System.Logger.Level.WARNING, "a provisioned environment of " + env.function().getName()
                            + " failed to initialize: " + (failure != null ? failure.getMessage() : result.errorType()));
                }
            });
            env.start(init);
        }
        if (full != null && held == 0) {
            throw full;
        }
        return held;
    }

    void cleanupStarted(Environment env) {
        synchronized (lock) {
            cleaningUp++;
            cleaning.merge(env.id(), 1, Integer::sum);
        }
    }

    /** The environment's processes are gone and its resources released; {@code dir} holds its log. */
    void cleanedUp(Environment env, Path dir) {
        Path expired = null;
        synchronized (lock) {
            cleaningUp--;
            cleaning.computeIfPresent(env.id(), (id, count) -> count == 1 ? null : count - 1);
            if (dir != null) {
                retiredDirs.addLast(dir);
                if (retiredDirs.size() > retainedLogs) {
                    expired = retiredDirs.pollFirst();
                }
            }
            lock.notifyAll();
        }
        if (expired != null) {
            deleteTree(expired);
        }
    }

    /**
     * The one way an environment tells the pool about itself: after each transition (and when its
     * provisioned mark changes), on its event loop. The pool's indexes follow: an environment that
     * answered (FINISHING) may take a waiting invocation of its revision soon; a retiring one leaves
     * the live set and gives back its memory.
     */
    void changed(Environment env, EnvironmentState previous, EnvironmentView view) {
        if (previous != view.state()) {
            switch (view.state()) {
                case FINISHING -> answered(env);
                case RETIRING -> retired(env);
                default -> { }
            }
        }
        if (view.state().isEnding()) {
            latest.remove(view.id());
        } else {
            latest.put(view.id(), view);
        }
        try {
            listener.changed(view);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "environment listener failed", e);
        }
    }

    private void removeIdle(Environment env) {
        Deque<Idle> idle = idleByRevision.get(env.function().getRevisionId());
        if (idle != null) {
            idle.removeIf(i -> i.env() == env);
            if (idle.isEmpty()) {
                idleByRevision.remove(env.function().getRevisionId());
            }
        }
    }

    private void releaseMemory(Environment env) {
        if (holdingMemory.remove(env.id())) {
            reservedMb -= env.memoryMb();
        }
    }

    /** Retires idle environments past their keep-alive and caps every log; a failure is logged, and the next sweep runs anyway. */
    void sweep() {
        try {
            sweepOnce();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the keep-alive sweep failed", e);
        }
    }

    private void sweepOnce() {
        long now = host.ticker().getAsLong();
        List<Environment> expired = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Deque<Idle>> it = idleByRevision.values().iterator(); it.hasNext(); ) {
                Deque<Idle> idle = it.next();
                idle.removeIf(i -> {
                    if (!i.env().provisioned() && keepAlive.expired(i.forPolicy(), now)) {
                        expired.add(i.env());
                        return true;
                    }
                    return false;
                });
                if (idle.isEmpty()) {
                    it.remove();
                }
            }
        }
        expired.forEach(env -> env.retire(RetireReason.IDLE));
    }

    /**
     * Retires the function's environments except those of {@code keepRevisionIds} (the latest and the
     * revisions aliases point at; empty: all of them): idle ones now, busy ones when their invocation ends.
     */
    public void retireFunction(String name, java.util.Set<String> keepRevisionIds) {
        List<Environment> now = new ArrayList<>();
        synchronized (lock) {
            provisionTargets.values().removeIf(t -> t.function().getName().equals(name)
                    && !keepRevisionIds.contains(t.function().getRevisionId()));
            for (Environment env : live.values()) {
                if (!env.function().getName().equals(name) || keepRevisionIds.contains(env.function().getRevisionId())) {
                    continue;
                }
                Deque<Idle> idle = idleByRevision.get(env.function().getRevisionId());
                if (idle != null && idle.stream().anyMatch(i -> i.env() == env)) {
                    removeIdle(env);
                    now.add(env);
                } else {
                    retireOnRelease.add(env.id());
                }
            }
        }
        now.forEach(env -> env.retire(RetireReason.REVISION));
    }

    /** Every environment not yet retired, each as of a moment on its own loop. */
    /**
     * Every environment not yet retired, as last reported. Never waits: callers may be on an
     * environment's event loop (the controller link takes its snapshot on one).
     */
    public List<EnvironmentView> views() {
        return List.copyOf(latest.values());
    }

    public int memoryBudgetMb() {
        return budgetMb;
    }

    public int memoryReservedMb() {
        synchronized (lock) {
            return reservedMb;
        }
    }

    /** Retires every environment and waits (bounded) until their processes are gone. */
    @Override
    public void close() {
        List<Environment> all;
        synchronized (lock) {
            closed = true;
            all = new ArrayList<>(live.values());
        }
        sweeper.cancel(false);
        audit.close();
        all.forEach(env -> env.retire(RetireReason.SHUTDOWN));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        synchronized (lock) {
            while ((!live.isEmpty() || cleaningUp > 0) && System.nanoTime() < deadline) {
                try {
                    lock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (!live.isEmpty() || cleaningUp > 0) {
                LOG.log(System.Logger.Level.WARNING, live.size() + " environments still retiring at shutdown");
            }
        }
    }

    private static String newId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
    }

    static void deleteTree(Path dir) {
        try {
            dev.floe.common.FileTrees.delete(dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir + ": " + e.getMessage());
        }
    }

    public static final class Builder {
        private EnvironmentHost host;
        private EventLoopGroup loops;
        private int memoryBudgetMb = 4096;
        private KeepAlivePolicy keepAlive = KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10));
        private Listener listener = view -> { };
        private Duration sweepInterval = Duration.ofSeconds(1);
        private Duration auditInterval = Duration.ofSeconds(30);
        private int retainedLogs = 256;
        private Duration handoffWait = Duration.ofMillis(100);

        private Builder() {}

        public Builder host(EnvironmentHost host) {
            this.host = Check.notNull("host", host);
            return this;
        }

        public Builder loops(EventLoopGroup loops) {
            this.loops = Check.notNull("loops", loops);
            return this;
        }

        public Builder memoryBudgetMb(int memoryBudgetMb) {
            this.memoryBudgetMb = Check.range("memoryBudgetMb", memoryBudgetMb, 128, 16 * 1024 * 1024);
            return this;
        }

        public Builder keepAlive(KeepAlivePolicy keepAlive) {
            this.keepAlive = Check.notNull("keepAlive", keepAlive);
            return this;
        }

        public Builder listener(Listener listener) {
            this.listener = Check.notNull("listener", listener);
            return this;
        }

        /** How often idle environments are checked against the keep-alive policy. */
        /** How often the worker's cgroups are compared with its environments (see {@link StrayAudit}); 30 s by default. */
        public Builder auditInterval(Duration auditInterval) {
            this.auditInterval = Check.positive("auditInterval", auditInterval);
            return this;
        }

        public Builder sweepInterval(Duration sweepInterval) {
            this.sweepInterval = Check.positive("sweepInterval", sweepInterval);
            return this;
        }

        /** How many retired environments' logs are kept on disk. */
        public Builder retainedLogs(int retainedLogs) {
            this.retainedLogs = Check.range("retainedLogs", retainedLogs, 0, 1_000_000);
            return this;
        }

        /**
         * How long an invocation waits for an environment of its revision that has answered and is
         * about to ask for more work, before it starts a new one instead (0: never waits).
         */
        public Builder handoffWait(Duration handoffWait) {
            this.handoffWait = Check.nonNegative("handoffWait", handoffWait);
            return this;
        }

        public EnvironmentPool build() {
            Check.notNull("host", host);
            Check.notNull("loops", loops);
            return new EnvironmentPool(this);
        }
    }
}
