package dev.floe.controller.web;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.floe.controller.invoke.InvokeMetrics;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.registry.FleetSubscriber;
import dev.floe.controller.registry.WorkerConnection;
import dev.floe.controller.registry.WorkerInfo;
import dev.floe.proto.Environment;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the web view shows, kept up to date from the fleet view's changes and the invoker's placements and
 * answers: workers, environments, per-function activity and the last placement decisions. Every update is
 * a few map operations under its own lock, which it never holds while calling out, so it may be told under
 * the fleet view's lock. {@link #json()} renders it.
 */
final class FleetBoard implements FleetSubscriber, InvokeMetrics.Listener {
    static final int PLACEMENTS_KEPT = 50;
    /** Answers whose latency makes a function's p50 and p99: the most recent ones. */
    static final int LATENCIES_KEPT = 512;
    /** The window invocations per second are counted over. */
    static final long RATE_WINDOW_MS = 10_000;

    private final InstantSource clock;
    private final Map<String, WorkerInfo> workers = new TreeMap<>();
    private final Map<String, Environment> environments = new TreeMap<>();
    private final Map<String, Long> firstSeen = new HashMap<>();
    private final Map<String, Activity> functions = new TreeMap<>();
    private final Deque<JsonObject> placements = new ArrayDeque<>();
    private long version;

    FleetBoard(InstantSource clock) {
        this.clock = clock;
    }

    /** A function's activity as the controller saw it. */
    private static final class Activity {
        long invocations;
        long errors;
        long cold;
        long warm;
        final Deque<Long> recent = new ArrayDeque<>();
        final long[] latencies = new long[LATENCIES_KEPT];
        int latencyCount;
    }

    @Override
    public synchronized void workerJoined(WorkerInfo worker, WorkerConnection link) {
        workers.put(worker.id(), worker);
        version++;
    }

    @Override
    public synchronized void workerChanged(WorkerInfo worker) {
        workers.put(worker.id(), worker);
        version++;
    }

    @Override
    public synchronized void workerLeft(String workerId, Departure departure, String reason) {
        workers.remove(workerId);
        environments.values().removeIf(e -> {
            boolean gone = e.getWorkerId().equals(workerId);
            if (gone) {
                firstSeen.remove(e.getId());
            }
            return gone;
        });
        version++;
    }

    @Override
    public synchronized void environmentChanged(Environment environment) {
        if (environment.getState() == Environment.State.RETIRED) {
            environments.remove(environment.getId());
            firstSeen.remove(environment.getId());
        } else {
            environments.put(environment.getId(), environment);
            firstSeen.putIfAbsent(environment.getId(), clock.millis());
        }
        version++;
    }

    @Override
    public synchronized void placed(String function, Placement.Decision decision) {
        Activity a = functions.computeIfAbsent(function, f -> new Activity());
        if (decision.kind() == Placement.Kind.COLD) {
            a.cold++;
        } else {
            a.warm++;
        }
        JsonObject p = new JsonObject();
        p.addProperty("time", clock.millis());
        p.addProperty("function", function);
        p.addProperty("worker", decision.workerId());
        p.addProperty("decision", decision.kind().name().toLowerCase(Locale.ROOT));
        placements.addFirst(p);
        while (placements.size() > PLACEMENTS_KEPT) {
            placements.removeLast();
        }
        version++;
    }

    @Override
    public synchronized void finished(String function, String outcome, long nanos) {
        if (function.isEmpty()) {
            return; // no such function: nothing to show it under
        }
        Activity a = functions.computeIfAbsent(function, f -> new Activity());
        a.latencies[(int) (a.invocations % LATENCIES_KEPT)] = nanos;
        a.latencyCount = (int) Math.min(LATENCIES_KEPT, a.latencyCount + 1L);
        a.invocations++;
        if (!outcome.equals("success")) {
            a.errors++;
        }
        long now = clock.millis();
        a.recent.addLast(now);
        trim(a, now);
        version++;
    }

    private static void trim(Activity a, long now) {
        while (!a.recent.isEmpty() && a.recent.peekFirst() < now - RATE_WINDOW_MS) {
            a.recent.removeFirst();
        }
    }

    /** Grows with every change: the view renders again only when it moved, or for the rates, now and then. */
    synchronized long version() {
        return version;
    }

    synchronized JsonObject json() {
        long now = clock.millis();
        JsonObject root = new JsonObject();
        root.addProperty("now", now);
        Map<String, Map<Environment.State, Integer>> byWorker = new HashMap<>();
        JsonArray envs = new JsonArray();
        for (Environment e : environments.values()) {
            byWorker.computeIfAbsent(e.getWorkerId(), w -> new EnumMap<>(Environment.State.class)).merge(e.getState(), 1, Integer::sum);
            JsonObject o = new JsonObject();
            o.addProperty("id", e.getId());
            o.addProperty("function", e.getFunction());
            o.addProperty("revision", e.getRevision());
            o.addProperty("state", e.getState().name());
            o.addProperty("worker", e.getWorkerId());
            o.addProperty("memoryMb", e.getMemoryMb());
            o.addProperty("ageMs", now - firstSeen.getOrDefault(e.getId(), now));
            o.addProperty("invocations", e.getInvocations());
            envs.add(o);
        }
        JsonArray ws = new JsonArray();
        for (WorkerInfo w : workers.values()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", w.id());
            o.addProperty("address", w.address().toString());
            o.addProperty("memoryMb", w.memoryMb());
            o.addProperty("usedMb", w.usedMb());
            o.addProperty("freeMb", Math.max(0, w.memoryMb() - w.usedMb()));
            o.addProperty("reportedUsedMb", w.reportedUsedMb());
            JsonObject states = new JsonObject();
            byWorker.getOrDefault(w.id(), Map.of()).forEach((s, n) -> states.addProperty(s.name(), n));
            o.add("states", states);
            ws.add(o);
        }
        JsonArray fs = new JsonArray();
        functions.forEach((name, a) -> {
            trim(a, now);
            JsonObject o = new JsonObject();
            o.addProperty("name", name);
            o.addProperty("invocations", a.invocations);
            o.addProperty("errors", a.errors);
            o.addProperty("perSecond", a.recent.size() * 1000.0 / RATE_WINDOW_MS);
            long starts = a.cold + a.warm;
            o.addProperty("coldRatio", starts == 0 ? 0.0 : (double) a.cold / starts);
            long[] sorted = Arrays.copyOf(a.latencies, a.latencyCount);
            Arrays.sort(sorted);
            o.addProperty("p50Ms", percentile(sorted, 0.50));
            o.addProperty("p99Ms", percentile(sorted, 0.99));
            fs.add(o);
        });
        JsonArray ps = new JsonArray();
        placements.forEach(ps::add);
        root.add("workers", ws);
        root.add("environments", envs);
        root.add("functions", fs);
        root.add("placements", ps);
        return root;
    }

    /** Nearest-rank percentile in milliseconds; 0 without samples. */
    static double percentile(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank))] / 1e6;
    }
}
