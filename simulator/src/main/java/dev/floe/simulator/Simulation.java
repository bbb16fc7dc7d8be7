package dev.floe.simulator;

import dev.floe.controller.placement.Hashing;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.PlacementRequest;
import dev.floe.controller.registry.FleetIndex;
import dev.floe.worker.environment.KeepAlivePolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * One replay of a trace through one placement policy and one keep-alive policy on simulated workers.
 *
 * <p>Method: each minute's invocations of a function are spread uniformly at random over the minute
 * (seeded: every combination sees the same arrivals and execution times); an execution time is drawn
 * from the function's percentiles, linear between them; memory is its app's average allocated memory
 * (at least 128 MB). A cold start costs {@link #coldStartMs} before the execution: 200 ms to 2 s,
 * fixed per function by its hash, the range Lambda's documentation gives for init phases. Workers
 * retire expired idle environments in a sweep every {@link #SWEEP_NANOS}. Idle memory is the
 * integral over the day of the memory of environments kept but not running.
 */
public final class Simulation {
    static final long SECOND = 1_000_000_000L;
    static final long MINUTE = 60 * SECOND;
    /** How often simulated workers retire expired environments, as the worker's own sweep does. */
    static final long SWEEP_NANOS = 10 * SECOND;

    /** What one combination measured. */
    public record Result(String policy, String keepAlive, long invocations, long coldStarts, long rejected,
                         double idleMemoryGbSeconds, double decisionsPerSecond, long prewarms) {
        public double coldStartRatio() {
            return invocations == 0 ? 0 : (double) coldStarts / invocations;
        }
    }

    private final Trace trace;
    private final int workers;
    private final int workerMemoryMb;
    private final long seed;

    public Simulation(Trace trace, int workers, int workerMemoryMb, long seed) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: >= 1)");
        }
        if (workerMemoryMb < Trace.MIN_MEMORY_MB) {
            throw new IllegalArgumentException("workerMemoryMb: " + workerMemoryMb + " (expected: >= " + Trace.MIN_MEMORY_MB + ")");
        }
        this.trace = trace;
        this.workers = workers;
        this.workerMemoryMb = workerMemoryMb;
        this.seed = seed;
    }

    /** The cold start cost model: 200 ms to 2 s, the same for every cold start of the function. */
    static double coldStartMs(Trace.Function function) {
        return 200 + (Hashing.hash64("init:" + function.id()) & Long.MAX_VALUE) % 1801;
    }

    /** Replays the whole trace; {@code keepAlive} makes one policy per worker. */
    public Result run(String policyName, Placement placement, String keepAliveName, Supplier<KeepAlivePolicy> keepAlive) {
        FleetIndex index = new FleetIndex();
        List<SimulatedWorker> fleet = new ArrayList<>(workers);
        Map<String, SimulatedWorker> byId = new HashMap<>();
        long[] idleMb = new long[1];
        // A policy that learns from the fleet's arrivals is one instance shared by every worker.
        KeepAlivePolicy first = keepAlive.get();
        KeepAlivePolicy shared = first.fleetWide() ? first : null;
        for (int i = 0; i < workers; i++) {
            KeepAlivePolicy policy = shared != null ? shared : i == 0 ? first : keepAlive.get();
            SimulatedWorker w = new SimulatedWorker(String.format("worker-%04d", i), workerMemoryMb, policy, index, idleMb);
            fleet.add(w);
            byId.put(w.id, w);
        }
        List<Trace.Function> functions = trace.functions();
        Map<String, PlacementRequest> requests = new HashMap<>();
        for (Trace.Function f : functions) {
            requests.put(f.id(), new PlacementRequest(f.id(), f.id(), f.memoryMb(), Set.of()));
        }
        Events events = new Events(fleet, new Clock(idleMb));
        SplittableRandom random = new SplittableRandom(seed);
        int minutes = functions.stream().mapToInt(f -> f.perMinute().length).max().orElse(0);
        long invocations = 0;
        long cold = 0;
        long rejected = 0;
        long placementNanos = 0;
        long[] arrivals = new long[0];
        for (int m = 0; m < minutes; m++) {
            int count = 0;
            for (Trace.Function f : functions) {
                count += m < f.perMinute().length ? f.perMinute()[m] : 0;
            }
            if (arrivals.length < count) {
                arrivals = new long[Math.max(count, arrivals.length * 2)];
            }
            // Each arrival packed as (time within the minute in microseconds) << 20 | function index, sorted.
            int k = 0;
            for (int fi = 0; fi < functions.size(); fi++) {
                int[] perMinute = functions.get(fi).perMinute();
                int c = m < perMinute.length ? perMinute[m] : 0;
                for (int j = 0; j < c; j++) {
                    arrivals[k++] = ((long) random.nextInt(60_000_000) << 20) | fi;
                }
            }
            Arrays.sort(arrivals, 0, k);
            for (int a = 0; a < k; a++) {
                long now = m * MINUTE + (arrivals[a] >>> 20) * 1000;
                Trace.Function f = functions.get((int) (arrivals[a] & 0xFFFFF));
                events.until(now);
                invocations++;
                if (shared != null) {
                    shared.arrived(f.id(), now);
                }
                double runMs = f.runMs(random.nextDouble());
                long t0 = System.nanoTime();
                Optional<Placement.Decision> decision = placement.place(index, requests.get(f.id()));
                placementNanos += System.nanoTime() - t0;
                if (decision.isEmpty()) {
                    rejected++;
                    continue;
                }
                SimulatedWorker w = byId.get(decision.get().workerId());
                SimulatedWorker.Env env = w.takeIdle(f);
                if (env == null) {
                    double initMs = coldStartMs(f);
                    env = w.start(f, initMs);
                    if (env == null) {
                        rejected++;
                        continue;
                    }
                    cold++;
                    runMs += initMs;
                }
                env.busyUntilNanos = now + Math.max(1, (long) (runMs * 1_000_000));
                events.running.add(env);
            }
        }
        events.until((long) minutes * MINUTE);
        double decisionsPerSecond = placementNanos == 0 ? 0 : invocations / (placementNanos / 1e9);
        return new Result(policyName, keepAliveName, invocations, cold, rejected, events.clock.idleMbNanos / 1024.0 / SECOND,
                decisionsPerSecond, events.prewarms);
    }

    /** A prewarm due at {@code atNanos}: the worker starts an environment of the function. */
    private record Prewarm(long atNanos, SimulatedWorker worker, Trace.Function function) {}

    /** What happens between arrivals: invocations ending, prewarms and sweeps, in time order. */
    private static final class Events {
        final PriorityQueue<SimulatedWorker.Env> running = new PriorityQueue<>(
                (a, b) -> Long.compare(a.busyUntilNanos, b.busyUntilNanos));
        final PriorityQueue<Prewarm> prewarming = new PriorityQueue<>((a, b) -> Long.compare(a.atNanos(), b.atNanos()));
        final List<SimulatedWorker> fleet;
        final Clock clock;
        long nextSweep = SWEEP_NANOS;
        long prewarms;

        Events(List<SimulatedWorker> fleet, Clock clock) {
            this.fleet = fleet;
            this.clock = clock;
        }

        /** Runs what is due by {@code now}, then advances the clock to it. */
        void until(long now) {
            while (true) {
                SimulatedWorker.Env next = running.peek();
                long completion = next == null ? Long.MAX_VALUE : next.busyUntilNanos;
                Prewarm p = prewarming.peek();
                long prewarm = p == null ? Long.MAX_VALUE : p.atNanos();
                long first = Math.min(completion, Math.min(prewarm, nextSweep));
                if (first > now) {
                    clock.advance(now);
                    return;
                }
                clock.advance(first);
                if (completion == first) {
                    running.poll();
                    long at = next.worker.finished(next, completion);
                    if (at >= 0) {
                        prewarming.add(new Prewarm(at, next.worker, next.function));
                    }
                } else if (prewarm == first) {
                    prewarming.poll();
                    if (p.worker().prewarm(p.function(), coldStartMs(p.function()), prewarm)) {
                        prewarms++;
                    }
                } else {
                    for (SimulatedWorker w : fleet) {
                        w.sweep(nextSweep);
                    }
                    nextSweep += SWEEP_NANOS;
                }
            }
        }
    }

    /** Simulated time, and the fleet's idle memory integrated over it. */
    private static final class Clock {
        private final long[] idleMb;
        private long now;
        double idleMbNanos;

        Clock(long[] idleMb) {
            this.idleMb = idleMb;
        }

        void advance(long to) {
            if (to > now) {
                idleMbNanos += (double) idleMb[0] * (to - now);
                now = to;
            }
        }
    }
}
