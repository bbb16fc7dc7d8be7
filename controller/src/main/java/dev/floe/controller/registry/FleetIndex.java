package dev.floe.controller.registry;

import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.FleetState;
import dev.floe.controller.placement.HashRing;
import dev.floe.controller.placement.RevisionPresence;
import dev.floe.controller.placement.WorkerCapacity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fleet as an index, the {@link FleetState} placement reads: per revision, which workers hold
 * its environments and how many (with the workers holding available warm ones in most-recently-used
 * order); per worker, its memory, load and busy count; the workers ordered by free memory and by room,
 * and the consistent-hash ring. An environment's change costs O(log workers) (two ordered sets) and
 * O(1) otherwise; a worker joining or leaving costs its environments plus its ring points.
 *
 * <p>Pure and not thread-safe: {@link FleetView} keeps one under its lock and feeds it the workers'
 * reports; the simulator feeds one from simulated workers. Listeners hear of every change, for a
 * change stream to clients later; they run inline, so they must be quick and must not call back.
 */
public final class FleetIndex implements FleetState {
    /** An environment as placement needs it. */
    public enum Slot {
        /** Starting or initializing: holds memory, cannot take an invocation yet. */
        STARTING,
        /** Running an invocation. */
        BUSY,
        /**
         * BUSY, but its invocation has been answered: its runtime is about to ask for the next one, so
         * it may take an invocation of its revision (the worker waits briefly for it) before the
         * worker's report that it is idle arrives.
         */
        FINISHING,
        /** IDLE or FROZEN: takes the next invocation of its revision. */
        WARM
    }

    /** Hears of changes; called inline under the owner's lock. */
    public interface Listener {
        /** A worker joined, left, or its memory or busy count changed. */
        void workerChanged(String workerId);

        /** What the worker holds of the revision changed. */
        void presenceChanged(String revisionId, String workerId);
    }

    private record Env(String revisionId, int memoryMb, Slot slot) {}

    private static final class Worker {
        final String id;
        final int memoryMb;
        int usedMb;
        int warmMb;
        int busy;
        final Map<String, Env> environments = new HashMap<>();
        /** Revisions with a holding on this worker (environments or promises). */
        final Set<String> revisions = new HashSet<>();

        Worker(String id, int memoryMb) {
            this.id = id;
            this.memoryMb = memoryMb;
        }

        int freeMb() {
            return Math.max(0, memoryMb - usedMb);
        }
    }

    private static final class Holding {
        int warm;
        int warmMb;
        int busy;
        /** Of the busy ones, those answered ({@link Slot#FINISHING}). */
        int finishing;
        int promised;

        int available() {
            return Math.max(0, warm + finishing - promised);
        }

        boolean empty() {
            return warm == 0 && busy == 0 && promised == 0;
        }
    }

    private static final Comparator<Worker> BY_FREE = Comparator.comparingInt(Worker::freeMb).reversed()
            .thenComparing(w -> w.id);
    private static final Comparator<Worker> BY_ROOM = Comparator.comparingInt((Worker w) -> w.freeMb() + w.warmMb)
            .reversed().thenComparing(w -> w.id);

    private final Map<String, Worker> workers = new HashMap<>();
    private final List<String> ids = new ArrayList<>();
    private final List<String> idsView = Collections.unmodifiableList(ids);
    private final TreeSet<Worker> byFree = new TreeSet<>(BY_FREE);
    private final TreeSet<Worker> byRoom = new TreeSet<>(BY_ROOM);
    private final HashRing ring = new HashRing();
    /** Revision id to worker id to holding. */
    private final Map<String, Map<String, Holding>> revisions = new HashMap<>();
    /** Revision id to the workers with available warm environments of it, most recently used first. */
    private final Map<String, LinkedHashSet<String>> idle = new HashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private long memoryMb;
    private long loadMb;

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** Adds the worker with no environments, replacing any worker with its id and all it held. */
    public void addWorker(String workerId, int workerMemoryMb) {
        if (workerMemoryMb < 0) {
            throw new IllegalArgumentException("worker " + workerId + ": memoryMb " + workerMemoryMb + " (expected: >= 0)");
        }
        removeWorker(workerId);
        Worker w = new Worker(workerId, workerMemoryMb);
        workers.put(workerId, w);
        int at = Collections.binarySearch(ids, workerId);
        ids.add(-at - 1, workerId);
        byFree.add(w);
        byRoom.add(w);
        ring.add(workerId);
        memoryMb += workerMemoryMb;
        listeners.forEach(l -> l.workerChanged(workerId));
    }

    /** Removes the worker and everything it held, promises included. */
    public void removeWorker(String workerId) {
        Worker w = workers.remove(workerId);
        if (w == null) {
            return;
        }
        for (Env env : w.environments.values()) {
            loadMb -= env.slot == Slot.WARM ? 0 : env.memoryMb;
        }
        for (String revisionId : w.revisions) {
            Map<String, Holding> byWorker = revisions.get(revisionId);
            byWorker.remove(workerId);
            if (byWorker.isEmpty()) {
                revisions.remove(revisionId);
            }
            LinkedHashSet<String> holders = idle.get(revisionId);
            if (holders != null) {
                holders.remove(workerId);
                if (holders.isEmpty()) {
                    idle.remove(revisionId);
                }
            }
        }
        ids.remove(Collections.binarySearch(ids, workerId));
        byFree.remove(w);
        byRoom.remove(w);
        ring.remove(workerId);
        memoryMb -= w.memoryMb;
        listeners.forEach(l -> l.workerChanged(workerId));
    }

    public boolean contains(String workerId) {
        return workers.containsKey(workerId);
    }

    /**
     * An environment's state after a change; {@code slot} null removes it (retired). Becoming WARM
     * makes its worker the revision's most recently used holder. BUSY does not replace FINISHING:
     * only the environment's next report of another state (WARM, or retired) ends that hint.
     */
    public void environment(String workerId, String environmentId, String revisionId, int envMemoryMb, Slot slot) {
        Worker w = workers.get(workerId);
        if (w == null) {
            throw new IllegalArgumentException("worker " + workerId + ": not in the fleet (expected: a worker added first)");
        }
        Env previous = w.environments.get(environmentId);
        if (previous != null && previous.slot == Slot.FINISHING && slot == Slot.BUSY) {
            // A BUSY report of the invocation already answered, late on the stream (or of the next one,
            // handed to it under a promise that keeps it out of the available set): it stays FINISHING.
            return;
        }
        byFree.remove(w);
        byRoom.remove(w);
        previous = w.environments.remove(environmentId);
        if (previous != null) {
            unindex(w, previous);
        }
        if (slot != null) {
            Env env = new Env(revisionId, envMemoryMb, slot);
            w.environments.put(environmentId, env);
            index(w, env, previous == null || previous.slot != Slot.WARM);
        }
        byFree.add(w);
        byRoom.add(w);
        if (!listeners.isEmpty()) {
            listeners.forEach(l -> l.workerChanged(workerId));
            String changed = previous != null ? previous.revisionId : revisionId;
            listeners.forEach(l -> l.presenceChanged(changed, workerId));
            if (slot != null && !revisionId.equals(changed)) {
                listeners.forEach(l -> l.presenceChanged(revisionId, workerId));
            }
        }
    }

    /**
     * The environment's invocation was answered: a BUSY environment becomes {@link Slot#FINISHING},
     * available to its revision's next invocation until the worker reports it again. Anything else
     * (a report already came, or the environment is gone) is left as it is.
     *
     * @return whether the environment became FINISHING
     */
    public boolean answered(String workerId, String environmentId) {
        Worker w = workers.get(workerId);
        Env env = w == null ? null : w.environments.get(environmentId);
        if (env == null || env.slot != Slot.BUSY) {
            return false;
        }
        environment(workerId, environmentId, env.revisionId, env.memoryMb, Slot.FINISHING);
        return true;
    }

    /**
     * Counts {@code delta} more (or fewer) warm environments of the revision on the worker as promised
     * to invocations placed there: a promised environment is out of the available set at once.
     */
    public void promised(String revisionId, String workerId, int delta) {
        Worker w = workers.get(workerId);
        if (w == null) {
            return;
        }
        Holding h = holding(w, revisionId);
        h.promised = Math.max(0, h.promised + delta);
        refresh(w, revisionId, h, false);
        listeners.forEach(l -> l.presenceChanged(revisionId, workerId));
    }

    private void index(Worker w, Env env, boolean newlyWarm) {
        w.usedMb += env.memoryMb;
        Holding h = holding(w, env.revisionId);
        switch (env.slot) {
            case WARM -> {
                w.warmMb += env.memoryMb;
                h.warm++;
                h.warmMb += env.memoryMb;
            }
            case BUSY, FINISHING -> {
                w.busy++;
                h.busy++;
                h.finishing += env.slot == Slot.FINISHING ? 1 : 0;
                loadMb += env.memoryMb;
            }
            case STARTING -> loadMb += env.memoryMb;
        }
        refresh(w, env.revisionId, h, env.slot == Slot.FINISHING || env.slot == Slot.WARM && newlyWarm);
    }

    private void unindex(Worker w, Env env) {
        w.usedMb -= env.memoryMb;
        Holding h = holding(w, env.revisionId);
        switch (env.slot) {
            case WARM -> {
                w.warmMb -= env.memoryMb;
                h.warm--;
                h.warmMb -= env.memoryMb;
            }
            case BUSY, FINISHING -> {
                w.busy--;
                h.busy--;
                h.finishing -= env.slot == Slot.FINISHING ? 1 : 0;
                loadMb -= env.memoryMb;
            }
            case STARTING -> loadMb -= env.memoryMb;
        }
        refresh(w, env.revisionId, h, false);
    }

    private Holding holding(Worker w, String revisionId) {
        w.revisions.add(revisionId);
        return revisions.computeIfAbsent(revisionId, r -> new HashMap<>()).computeIfAbsent(w.id, k -> new Holding());
    }

    /** Keeps the idle set true to the holding; {@code used} moves the worker to the front. */
    private void refresh(Worker w, String revisionId, Holding h, boolean used) {
        if (h.available() > 0) {
            LinkedHashSet<String> holders = idle.computeIfAbsent(revisionId, r -> new LinkedHashSet<>());
            if (used || !holders.contains(w.id)) {
                holders.addFirst(w.id);
            }
        } else {
            LinkedHashSet<String> holders = idle.get(revisionId);
            if (holders != null) {
                holders.remove(w.id);
                if (holders.isEmpty()) {
                    idle.remove(revisionId);
                }
            }
        }
        if (h.empty()) {
            Map<String, Holding> byWorker = revisions.get(revisionId);
            byWorker.remove(w.id);
            if (byWorker.isEmpty()) {
                revisions.remove(revisionId);
            }
            w.revisions.remove(revisionId);
        }
    }

    // ---- FleetState ----------------------------------------------------------------------------

    @Override
    public int size() {
        return workers.size();
    }

    @Override
    public List<String> workerIds() {
        return idsView;
    }

    @Override
    public WorkerCapacity worker(String workerId) {
        Worker w = workers.get(workerId);
        return w == null ? null : new WorkerCapacity(w.id, w.memoryMb, w.usedMb, w.warmMb);
    }

    @Override
    public int busy(String workerId) {
        Worker w = workers.get(workerId);
        return w == null ? 0 : w.busy;
    }

    @Override
    public RevisionPresence presence(String revisionId, String workerId) {
        Map<String, Holding> byWorker = revisions.get(revisionId);
        Holding h = byWorker == null ? null : byWorker.get(workerId);
        return h == null ? RevisionPresence.NONE : new RevisionPresence(h.warm, h.warmMb, h.busy, h.promised, h.finishing);
    }

    @Override
    public Iterable<String> idleHolders(String revisionId) {
        LinkedHashSet<String> holders = idle.get(revisionId);
        return holders == null ? List.of() : Collections.unmodifiableSet(holders);
    }

    @Override
    public Iterable<String> busyHolders(String revisionId) {
        Map<String, Holding> byWorker = revisions.get(revisionId);
        if (byWorker == null) {
            return List.of();
        }
        return () -> byWorker.entrySet().stream().filter(e -> e.getValue().busy > 0).map(Map.Entry::getKey).iterator();
    }

    @Override
    public Iterable<String> byFreeMemory() {
        return () -> ids(byFree.iterator());
    }

    @Override
    public Iterable<String> byRoom() {
        return () -> ids(byRoom.iterator());
    }

    private static Iterator<String> ids(Iterator<Worker> workers) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return workers.hasNext();
            }

            @Override
            public String next() {
                return workers.next().id;
            }
        };
    }

    @Override
    public HashRing ring() {
        return ring;
    }

    @Override
    public long memoryMb() {
        return memoryMb;
    }

    @Override
    public long loadMb() {
        return loadMb;
    }

    /** A copy of every worker's memory and what each holds of the revision; O(workers), not for placement. */
    public FleetSnapshot snapshot(String revisionId) {
        List<WorkerCapacity> capacities = new ArrayList<>(workers.size());
        for (String id : ids) {
            capacities.add(worker(id));
        }
        Map<String, RevisionPresence> presence = new HashMap<>();
        revisions.getOrDefault(revisionId, Map.of()).keySet().forEach(w -> presence.put(w, presence(revisionId, w)));
        return new FleetSnapshot(capacities, presence.isEmpty() ? Map.of() : Map.of(revisionId, presence));
    }
}
