package dev.floe.controller.registry;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;

import dev.floe.common.HostPort;
import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.PlacementRequest;
import dev.floe.proto.Environment;
import dev.floe.proto.FleetChange;
import dev.floe.proto.Registration;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The connected workers and their environments, from their reports only. Reports arrive on the
 * gRPC threads of each worker's stream while invocations are placed on others, so all state is
 * under one lock, held only for map updates; nothing is sent or awaited while it is held.
 *
 * <p>A report counts only if it comes over the worker's current connection: after a worker
 * reconnects, whatever its old stream still delivers is ignored, and the old stream's end does not
 * remove the new entry. For each worker the view holds a channel to its {@code WorkerInvoker}
 * service, opened on registration and shut down (gracefully, so calls in flight finish) when it leaves.
 */
public final class FleetView implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FleetView.class.getName());

    /** Opens a channel to a worker's {@code WorkerInvoker} service. */
    public interface ChannelOpener {
        ManagedChannel open(HostPort address);
    }

    private final InstantSource clock;
    private final Duration heartbeatTimeout;
    private final ChannelOpener channels;

    private final Object lock = new Object();
    private final Map<String, WorkerEntry> workers = new HashMap<>();
    private final FleetIndex index = new FleetIndex();
    /** Revision id to worker id to promises not yet settled, oldest first. */
    private final Map<String, Map<String, Deque<WarmPromise>>> promises = new HashMap<>();
    /** Channels of workers that left, shut down but possibly still finishing calls. */
    private final List<ManagedChannel> leaving = new ArrayList<>();
    private boolean closed;
    /** Told, outside the lock, when the fleet may have gained room: a worker joined or an environment became free or left. */
    private final List<Runnable> roomListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Told every change under the lock, in the order applied; see {@link #watch}. */
    private final List<Watcher> watchers = new ArrayList<>();

    /** Takes the view's changes as they are applied. */
    public interface Watcher {
        /**
         * Takes one change, under the view's lock: it must not block or call back into the view.
         * False when the watcher can take no more; it is then dropped.
         */
        boolean offer(FleetChange change);

        /** The view is closing: no change will follow. Called outside the lock. */
        default void ended() {}
    }

    public FleetView(InstantSource clock, Duration heartbeatTimeout, ChannelOpener channels) {
        this.clock = clock;
        this.heartbeatTimeout = heartbeatTimeout;
        this.channels = channels;
    }

    /**
     * Adds the worker, replacing any entry with its id: its environments are rebuilt from the
     * registration, and a different connection of the same worker is closed.
     */
    public void register(Registration registration, WorkerConnection connection) {
        String id = registration.getWorkerId();
        HostPort address = HostPort.parse(registration.getAddress());
        ManagedChannel channel = channels.open(address);
        WorkerEntry previous;
        synchronized (lock) {
            if (closed) {
                channel.shutdownNow();
                connection.close("the controller is shutting down");
                return;
            }
            FloeException conflict = conflict(registration);
            if (conflict != null) {
                channel.shutdownNow();
                throw conflict;
            }
            previous = removeLocked(id);
            WorkerEntry entry = new WorkerEntry(id, registration.getInstance(), address, registration.getMemoryMb(),
                    registration.getSandbox(), connection, channel, clock.instant());
            workers.put(id, entry);
            index.addWorker(id, registration.getMemoryMb());
            publish(FleetChange.newBuilder().setWorker(workerProto(entry)).build());
            for (Environment env : registration.getEnvironmentsList()) {
                apply(entry, env);
            }
        }
        if (previous != null && previous.connection != connection) {
            previous.connection.close("worker " + id + " connected again; this older connection is replaced");
        }
        roomChanged();
        LOG.log(System.Logger.Level.INFO, "worker " + id + " at " + address + " registered with "
                + registration.getMemoryMb() + " MB and " + registration.getEnvironmentsCount() + " environments");
    }

    /**
     * Refuses a registration for a worker id that another worker process holds and still reports on:
     * two workers sharing an id would otherwise replace each other in the view for ever. The same
     * process reconnecting (same instance) replaces its old connection.
     */
    public void checkRegistration(Registration registration) {
        synchronized (lock) {
            FloeException conflict = conflict(registration);
            if (conflict != null) {
                throw conflict;
            }
        }
    }

    private FloeException conflict(Registration registration) {
        WorkerEntry existing = workers.get(registration.getWorkerId());
        if (existing == null || registration.getInstance().isEmpty() || existing.instance.isEmpty()
                || existing.instance.equals(registration.getInstance())
                || existing.lastReport.isBefore(clock.instant().minus(heartbeatTimeout))) {
            return null;
        }
        return new FloeException(ErrorType.RESOURCE_CONFLICT, "worker id " + registration.getWorkerId()
                + " is already connected from " + existing.address + " (expected: a worker id of its own for each"
                + " worker; set one with --id)");
    }

    public void heartbeat(String workerId, WorkerConnection connection, int memoryUsedMb) {
        synchronized (lock) {
            WorkerEntry entry = current(workerId, connection);
            if (entry != null) {
                entry.lastReport = clock.instant();
                entry.lastHeartbeat = entry.lastReport;
                entry.reportedUsedMb = memoryUsedMb;
                publish(FleetChange.newBuilder().setWorker(workerProto(entry)).build());
            }
        }
    }

    /** An environment's full state after a change; RETIRED removes it. */
    public void report(String workerId, WorkerConnection connection, Environment environment) {
        boolean applied = false;
        synchronized (lock) {
            WorkerEntry entry = current(workerId, connection);
            if (entry != null) {
                entry.lastReport = clock.instant();
                apply(entry, environment);
                applied = true;
            }
        }
        Environment.State state = environment.getState();
        if (applied && (state == Environment.State.RETIRED || state == Environment.State.IDLE || state == Environment.State.FROZEN)) {
            roomChanged();
        }
    }

    /**
     * Sends {@code watcher} the fleet as it is (every worker, then every environment, of {@code function}
     * only when it is not empty), then {@code synced}, then every change as it is applied, until the
     * returned handle is run.
     */
    public Runnable watch(String function, Watcher watcher) {
        Watcher filtered = function == null || function.isEmpty() ? watcher : new Watcher() {
            @Override
            public boolean offer(FleetChange change) {
                return change.getChangeCase() != FleetChange.ChangeCase.ENVIRONMENT
                        || change.getEnvironment().getFunction().equals(function) ? watcher.offer(change) : true;
            }

            @Override
            public void ended() {
                watcher.ended();
            }
        };
        boolean ended;
        synchronized (lock) {
            boolean keep = true;
            List<WorkerEntry> all = new TreeMap<>(workers).values().stream().toList();
            for (WorkerEntry entry : all) {
                keep &= filtered.offer(FleetChange.newBuilder().setWorker(workerProto(entry)).build());
            }
            for (WorkerEntry entry : all) {
                for (Environment env : entry.environments.values()) {
                    keep &= filtered.offer(FleetChange.newBuilder().setEnvironment(env).build());
                }
            }
            keep &= filtered.offer(FleetChange.newBuilder().setSynced(true).build());
            if (keep && !closed) {
                watchers.add(filtered);
            }
            ended = closed;
        }
        if (ended) {
            filtered.ended();
        }
        return () -> {
            synchronized (lock) {
                watchers.remove(filtered);
            }
        };
    }

    /** Under the lock: the worker as watchers see it. */
    private dev.floe.proto.Worker workerProto(WorkerEntry entry) {
        return entry.info(index.worker(entry.id)).toProto();
    }

    /** Under the lock: every watcher gets the change; one that can take no more is dropped. */
    private void publish(FleetChange change) {
        if (!watchers.isEmpty()) {
            watchers.removeIf(w -> !w.offer(change));
        }
    }

    /** Adds a listener told when the fleet may have gained room for an invocation that found none. */
    public void onRoom(Runnable listener) {
        roomListeners.add(listener);
    }

    private void roomChanged() {
        for (Runnable listener : roomListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "a fleet listener failed", e);
            }
        }
    }

    /** The worker's stream ended or failed: it leaves the view, unless it already connected again. */
    public void disconnected(String workerId, WorkerConnection connection) {
        synchronized (lock) {
            if (current(workerId, connection) != null) {
                removeLocked(workerId);
                LOG.log(System.Logger.Level.INFO, "worker " + workerId + " disconnected");
            }
        }
    }

    /** Removes the workers that reported nothing for the heartbeat timeout, and closes their links. */
    public List<String> expireSilent() {
        Instant oldest = clock.instant().minus(heartbeatTimeout);
        List<WorkerEntry> expired = new ArrayList<>();
        synchronized (lock) {
            for (WorkerEntry entry : List.copyOf(workers.values())) {
                if (entry.lastReport.isBefore(oldest)) {
                    expired.add(removeLocked(entry.id));
                }
            }
        }
        for (WorkerEntry entry : expired) {
            String reason = "worker " + entry.id + " reported nothing for " + heartbeatTimeout.toMillis()
                    + " ms (expected: a heartbeat at least every " + heartbeatTimeout.toMillis() + " ms)";
            LOG.log(System.Logger.Level.WARNING, reason);
            entry.connection.close(reason);
        }
        return expired.stream().map(e -> e.id).toList();
    }

    /** Asks every connected worker to retire the function's environments except those of {@code keepRevisionIds} (empty: all). */
    public void retireFunction(String function, java.util.Set<String> keepRevisionIds) {
        List<WorkerConnection> connections;
        synchronized (lock) {
            connections = workers.values().stream().map(e -> e.connection).toList();
        }
        connections.forEach(c -> c.retireFunction(function, keepRevisionIds));
    }

    /** A copy of the fleet as placement sees it for one revision; O(workers), for inspection and tests. */
    public FleetSnapshot snapshot(String revisionId) {
        synchronized (lock) {
            return index.snapshot(revisionId);
        }
    }

    /** An invocation placed: the worker chosen, and the warm environment promised to it if the decision is WARM. */
    public record Placed(Placement.Decision decision, WarmPromise promise) {}

    /**
     * Runs the placement on the index and, for a WARM decision, promises the chosen environment in
     * the same critical section: a concurrent decision cannot choose it too (no double booking).
     */
    public Optional<Placed> place(Placement placement, PlacementRequest request) {
        synchronized (lock) {
            Optional<Placement.Decision> decision = placement.place(index, request);
            if (decision.isEmpty()) {
                return Optional.empty();
            }
            Placement.Decision d = decision.get();
            WarmPromise promise = d.kind() == Placement.Kind.WARM ? promiseLocked(d.workerId(), request.revisionId()) : null;
            return Optional.of(new Placed(d, promise));
        }
    }

    /** Hears of every change to the index, inline under the view's lock. */
    public void addListener(FleetIndex.Listener listener) {
        index.addListener(listener);
    }

    /** Promises one of the revision's warm environments on the worker to an invocation placed there. */
    public WarmPromise promise(String workerId, String revisionId) {
        synchronized (lock) {
            return promiseLocked(workerId, revisionId);
        }
    }

    private WarmPromise promiseLocked(String workerId, String revisionId) {
        WarmPromise promise = new WarmPromise(this, workerId, revisionId);
        if (workers.containsKey(workerId)) {
            promises.computeIfAbsent(revisionId, r -> new HashMap<>())
                    .computeIfAbsent(workerId, w -> new ArrayDeque<>()).addLast(promise);
            index.promised(revisionId, workerId, 1);
        } else {
            promise.settled = true;
        }
        return promise;
    }

    void release(WarmPromise promise) {
        synchronized (lock) {
            if (!promise.settled) {
                Map<String, Deque<WarmPromise>> byWorker = promises.get(promise.revisionId());
                Deque<WarmPromise> queue = byWorker == null ? null : byWorker.get(promise.workerId());
                if (queue != null && queue.remove(promise)) {
                    index.promised(promise.revisionId(), promise.workerId(), -1);
                }
                settle(promise.revisionId(), promise.workerId(), queue, byWorker);
                promise.settled = true;
            }
        }
    }

    public List<WorkerInfo> workers() {
        synchronized (lock) {
            return workers.values().stream().map(e -> e.info(index.worker(e.id))).sorted(Comparator.comparing(WorkerInfo::id)).toList();
        }
    }

    /** Every environment in the fleet, or only the function's when {@code function} is not empty. */
    public List<Environment> environments(String function) {
        List<Environment> result = new ArrayList<>();
        synchronized (lock) {
            for (WorkerEntry entry : new TreeMap<>(workers).values()) {
                for (Environment env : entry.environments.values()) {
                    if (function == null || function.isEmpty() || env.getFunction().equals(function)) {
                        result.add(env);
                    }
                }
            }
        }
        return result;
    }

    public Optional<ManagedChannel> channel(String workerId) {
        synchronized (lock) {
            WorkerEntry entry = workers.get(workerId);
            return entry == null ? Optional.empty() : Optional.of(entry.channel);
        }
    }

    public int size() {
        synchronized (lock) {
            return workers.size();
        }
    }

    /** Ends every worker's link and shuts down their channels, giving calls in flight {@code grace} to finish. */
    public void close(Duration grace) {
        List<WorkerEntry> all;
        List<ManagedChannel> channelsToAwait;
        List<Watcher> endedWatchers;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(workers.values());
            all.forEach(e -> removeLocked(e.id));
            endedWatchers = new ArrayList<>(watchers);
            watchers.clear();
            channelsToAwait = new ArrayList<>(leaving);
            leaving.clear();
        }
        all.forEach(e -> e.connection.close("the controller is shutting down"));
        endedWatchers.forEach(Watcher::ended);
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            for (ManagedChannel channel : channelsToAwait) {
                channel.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ManagedChannel channel : channelsToAwait) {
            channel.shutdownNow();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    // ---- under the lock ------------------------------------------------------------------------

    private WorkerEntry current(String workerId, WorkerConnection connection) {
        WorkerEntry entry = workerId == null ? null : workers.get(workerId);
        return entry != null && entry.connection == connection ? entry : null;
    }

    private WorkerEntry removeLocked(String workerId) {
        WorkerEntry entry = workers.remove(workerId);
        if (entry == null) {
            return null;
        }
        publish(FleetChange.newBuilder().setWorkerLeft(workerId).build());
        index.removeWorker(workerId);
        entry.environments.clear();
        for (Map<String, Deque<WarmPromise>> byWorker : promises.values()) {
            Deque<WarmPromise> queue = byWorker.remove(workerId);
            if (queue != null) {
                queue.forEach(p -> p.settled = true);
            }
        }
        promises.values().removeIf(Map::isEmpty);
        entry.channel.shutdown();
        leaving.removeIf(ManagedChannel::isTerminated);
        leaving.add(entry.channel);
        return entry;
    }

    private void apply(WorkerEntry entry, Environment reported) {
        // The stream says which worker this is; an environment cannot claim another.
        Environment env = reported.getWorkerId().equals(entry.id) ? reported
                : reported.toBuilder().setWorkerId(entry.id).build();
        Environment previous = entry.environments.remove(env.getId());
        boolean retired = env.getState() == Environment.State.RETIRED;
        if (!retired) {
            entry.environments.put(env.getId(), env);
        }
        index.environment(entry.id, env.getId(), env.getRevisionId(), env.getMemoryMb(), retired ? null : slot(env));
        publish(FleetChange.newBuilder().setEnvironment(env).build());
        if (previous != null && isWarm(previous) && env.getState() == Environment.State.BUSY) {
            keepOldestPromise(env.getRevisionId(), entry.id);
        }
    }

    private static FleetIndex.Slot slot(Environment env) {
        if (isWarm(env)) {
            return FleetIndex.Slot.WARM;
        }
        return env.getState() == Environment.State.BUSY ? FleetIndex.Slot.BUSY : FleetIndex.Slot.STARTING;
    }

    /**
     * A warm environment of the revision went BUSY: whichever invocation it took, one promise on that
     * worker is now kept by an environment that no longer counts as warm.
     */
    private void keepOldestPromise(String revisionId, String workerId) {
        Map<String, Deque<WarmPromise>> byWorker = promises.get(revisionId);
        Deque<WarmPromise> queue = byWorker == null ? null : byWorker.get(workerId);
        if (queue != null) {
            WarmPromise kept = queue.pollFirst();
            if (kept != null) {
                kept.settled = true;
                index.promised(revisionId, workerId, -1);
            }
            settle(revisionId, workerId, queue, byWorker);
        }
    }

    private void settle(String revisionId, String workerId, Deque<WarmPromise> queue, Map<String, Deque<WarmPromise>> byWorker) {
        if (queue != null && queue.isEmpty()) {
            byWorker.remove(workerId);
            if (byWorker.isEmpty()) {
                promises.remove(revisionId);
            }
        }
    }

    private static boolean isWarm(Environment env) {
        return env.getState() == Environment.State.IDLE || env.getState() == Environment.State.FROZEN;
    }
}
