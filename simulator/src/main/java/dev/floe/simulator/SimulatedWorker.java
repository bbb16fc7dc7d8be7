package dev.floe.simulator;

import dev.floe.controller.registry.FleetIndex;
import dev.floe.worker.environment.KeepAlivePolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A worker in simulated time, doing what the real worker's pool does with its memory: an invocation
 * takes the most recently used idle environment of its revision, a cold start retires idle
 * environments (least valuable first, as the keep-alive policy orders them) until it fits, and a
 * sweep retires the environments the policy says have expired. Every change is reported to the
 * fleet index, as the real worker reports over its stream.
 */
final class SimulatedWorker {
    /** An environment; {@code busyUntilNanos} is when its invocation ends. */
    static final class Env {
        final String id;
        final Trace.Function function;
        final SimulatedWorker worker;
        final double initMs;
        long lastUsedNanos;
        long invocations;
        long busyUntilNanos;

        Env(String id, Trace.Function function, SimulatedWorker worker, double initMs) {
            this.id = id;
            this.function = function;
            this.worker = worker;
            this.initMs = initMs;
        }

        KeepAlivePolicy.IdleEnvironment forPolicy() {
            return new KeepAlivePolicy.IdleEnvironment(id, function.id(), function.memoryMb(), lastUsedNanos, invocations, initMs);
        }
    }

    final String id;
    final int memoryMb;
    private final KeepAlivePolicy keepAlive;
    private final FleetIndex index;
    /** The idle memory of the whole fleet, which every worker keeps current. */
    private final long[] fleetIdleMb;
    private final Map<String, ArrayDeque<Env>> idle = new HashMap<>();
    private int usedMb;
    private int idleMb;
    private int next;

    SimulatedWorker(String id, int memoryMb, KeepAlivePolicy keepAlive, FleetIndex index, long[] fleetIdleMb) {
        this.fleetIdleMb = fleetIdleMb;
        this.id = id;
        this.memoryMb = memoryMb;
        this.keepAlive = keepAlive;
        this.index = index;
        index.addWorker(id, memoryMb);
    }

    /** Takes the most recently used idle environment of the function for an invocation; null if none. */
    Env takeIdle(Trace.Function function) {
        ArrayDeque<Env> envs = idle.get(function.id());
        Env env = envs == null ? null : envs.pollFirst();
        if (env == null) {
            return null;
        }
        idleMb(-function.memoryMb());
        index.environment(id, env.id, function.id(), function.memoryMb(), FleetIndex.Slot.BUSY);
        return env;
    }

    /** Starts a new environment, retiring idle ones to make room; null if even that cannot make room. */
    Env start(Trace.Function function, double initMs) {
        int need = function.memoryMb();
        if (memoryMb - usedMb < need && !makeRoom(need)) {
            return null;
        }
        usedMb += need;
        Env env = new Env(id + "-" + next++, function, this, initMs);
        index.environment(id, env.id, function.id(), need, FleetIndex.Slot.BUSY);
        return env;
    }

    /**
     * The environment's invocation ended at {@code nowNanos}: it is idle, most recently used; or, when
     * the policy prewarms the function, it retires now and the returned time (else -1) is when a new
     * one should start.
     */
    long finished(Env env, long nowNanos) {
        env.lastUsedNanos = nowNanos;
        env.invocations++;
        idle.computeIfAbsent(env.function.id(), f -> new ArrayDeque<>()).addFirst(env);
        idleMb(env.function.memoryMb());
        index.environment(id, env.id, env.function.id(), env.function.memoryMb(), FleetIndex.Slot.WARM);
        keepAlive.idle(env.forPolicy(), nowNanos);
        long prewarm = keepAlive.prewarmDelayNanos(env.function.id());
        if (prewarm <= 0) {
            return -1;
        }
        ArrayDeque<Env> envs = idle.get(env.function.id());
        envs.remove(env);
        if (envs.isEmpty()) {
            idle.remove(env.function.id());
        }
        retire(env);
        return nowNanos + prewarm;
    }

    /**
     * Starts a prewarmed environment of the function at {@code nowNanos}, idle from then on, unless
     * one is idle here already or the worker has no free memory (a prewarm never retires another
     * environment). Its init costs no invocation anything, so its first use is a warm start.
     */
    boolean prewarm(Trace.Function function, double initMs, long nowNanos) {
        ArrayDeque<Env> envs = idle.get(function.id());
        int need = function.memoryMb();
        if ((envs != null && !envs.isEmpty()) || memoryMb - usedMb < need) {
            return false;
        }
        usedMb += need;
        Env env = new Env(id + "-" + next++, function, this, initMs);
        env.lastUsedNanos = nowNanos;
        idle.computeIfAbsent(function.id(), f -> new ArrayDeque<>()).addFirst(env);
        idleMb(need);
        index.environment(id, env.id, function.id(), need, FleetIndex.Slot.WARM);
        return true;
    }

    /** Retires the idle environments whose keep-alive has expired. */
    void sweep(long nowNanos) {
        for (Iterator<ArrayDeque<Env>> it = idle.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Env> envs = it.next();
            for (Iterator<Env> e = envs.iterator(); e.hasNext(); ) {
                Env env = e.next();
                if (keepAlive.expired(env.forPolicy(), nowNanos)) {
                    e.remove();
                    retire(env);
                }
            }
            if (envs.isEmpty()) {
                it.remove();
            }
        }
    }

    private boolean makeRoom(int need) {
        List<Env> candidates = new ArrayList<>();
        idle.values().forEach(candidates::addAll);
        int reclaimable = candidates.stream().mapToInt(e -> e.function.memoryMb()).sum();
        if (memoryMb - usedMb + reclaimable < need) {
            return false;
        }
        Comparator<KeepAlivePolicy.IdleEnvironment> order = keepAlive.leastValuableFirst();
        List<KeepAlivePolicy.IdleEnvironment> views = new ArrayList<>(candidates.size());
        Map<String, Env> byId = new HashMap<>();
        for (Env env : candidates) {
            views.add(env.forPolicy());
            byId.put(env.id, env);
        }
        views.sort(order);
        for (KeepAlivePolicy.IdleEnvironment view : views) {
            if (memoryMb - usedMb >= need) {
                break;
            }
            Env env = byId.get(view.id());
            ArrayDeque<Env> envs = idle.get(env.function.id());
            envs.remove(env);
            if (envs.isEmpty()) {
                idle.remove(env.function.id());
            }
            keepAlive.evicted(view);
            retire(env);
        }
        return true;
    }

    private void idleMb(int delta) {
        idleMb += delta;
        fleetIdleMb[0] += delta;
    }

    private void retire(Env env) {
        usedMb -= env.function.memoryMb();
        idleMb(-env.function.memoryMb());
        index.environment(id, env.id, env.function.id(), env.function.memoryMb(), null);
        keepAlive.retired(env.id, env.function.id());
    }
}
