package dev.floe.controller.registry;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.PlacementRequest;
import dev.floe.controller.registry.FleetSubscriber.Departure;
import dev.floe.proto.Environment;
import dev.floe.proto.Registration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fleet's membership and index: the connected workers and their environments, from their reports
 * only, and the {@link FleetIndex} placement reads. Reports arrive on the gRPC threads of each worker's
 * stream while invocations are placed on others, so all state is under one lock, held only for map
 * updates; nothing is sent or awaited while it is held.
 *
 * <p>A report counts only if it comes over the worker's current connection: after a worker
 * reconnects, whatever its old stream still delivers is ignored, and the old stream's end does not
 * remove the new entry. What follows from a change (the channels to workers, the watch stream, waking
 * invocations that wait for room) is done by {@link FleetSubscriber}s, told under the lock in the order
 * the changes are applied.
 */
public final class FleetView implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FleetView.class.getName());

    private final InstantSource clock;
    private final Duration heartbeatTimeout;

    private final Object lock = new Object();
    private final Map<String, WorkerEntry> workers = new HashMap<>();
    private final FleetIndex index = new FleetIndex();
    /** Revision id to worker id to promises not yet settled, oldest first. */
    private final Map<String, Map<String, Deque<WarmPromise>>> promises = new HashMap<>();
    private boolean closed;
    /** Changed under the lock; iterated without it by {@link #settle()}, so copy-on-write. */
    private final List<FleetSubscriber> subscribers = new CopyOnWriteArrayList<>();

    public FleetView(InstantSource clock, Duration heartbeatTimeout) {
        this.clock = clock;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /**
     * Adds the worker, replacing any entry with its id: its environments are rebuilt from the
     * registration, and a different connection of the same worker is closed.
     */
    public void register(Registration registration, WorkerConnection connection) {
        String id = registration.getWorkerId();
        HostPort address = HostPort.parse(registration.getAddress());
        WorkerEntry previous;
        synchronized (lock) {
            if (closed) {
                connection.close("the controller is shutting down");
                return;
            }
            FloeException conflict = conflict(registration);
            if (conflict != null) {
                throw conflict;
            }
            previous = removeLocked(id, Departure.REPLACED, "worker " + id + " registered again");
            WorkerEntry entry = new WorkerEntry(id, registration.getInstance(), address, registration.getMemoryMb(),
                    registration.getSandbox(), connection, clock.instant());
            workers.put(id, entry);
            index.addWorker(id, registration.getMemoryMb());
            WorkerInfo joined = info(entry);
            tell(s -> s.workerJoined(joined, connection));
            for (Environment env : registration.getEnvironmentsList()) {
                apply(entry, env);
            }
        }
        if (previous != null && previous.connection != connection) {
            previous.connection.close("worker " + id + " connected again; this older connection is replaced");
        }
        settle();
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
                WorkerInfo changed = info(entry);
                tell(s -> s.workerChanged(changed));
            }
        }
        settle();
    }

    /** An environment's full state after a change; RETIRED removes it. */
    public void report(String workerId, WorkerConnection connection, Environment environment) {
        synchronized (lock) {
            WorkerEntry entry = current(workerId, connection);
            if (entry == null) {
                return;
            }
            entry.lastReport = clock.instant();
            apply(entry, environment);
        }
        settle();
    }

    /**
     * The worker answered an invocation from the environment: until the worker's next report of it,
     * placement may hand the revision's next invocation to it (see {@link FleetIndex#answered}).
     */
    public void answered(String workerId, String environmentId) {
        boolean changed;
        synchronized (lock) {
            WorkerEntry entry = workers.get(workerId);
            if (entry == null) {
                return;
            }
            Environment reported = entry.environments.get(environmentId);
            if (reported != null && isWarm(reported)) {
                // The answer overtook the worker's report that the environment took the invocation.
                entry.answeredThrough.put(environmentId, reported.getInvocations() + 1);
            }
            changed = index.answered(workerId, environmentId);
        }
        if (changed) {
            settle();
        }
    }

    /** Adds a subscriber told every change from now on. */
    public void subscribe(FleetSubscriber subscriber) {
        subscribe(subscriber, false);
    }

    /**
     * Adds a subscriber told every change from now on; with {@code replay}, first told the fleet as it is
     * (every worker joining, then every environment, then {@link FleetSubscriber#replayed()}), in the same
     * critical section, so that no change falls between the two. A subscriber added after {@link #close()}
     * is told {@link FleetSubscriber#closed()} at once.
     */
    public void subscribe(FleetSubscriber subscriber, boolean replay) {
        boolean ended;
        synchronized (lock) {
            ended = closed;
            if (!ended) {
                subscribers.add(subscriber);
                if (replay) {
                    List<WorkerEntry> all = new TreeMap<>(workers).values().stream().toList();
                    for (WorkerEntry entry : all) {
                        told(subscriber, s -> s.workerJoined(info(entry), entry.connection));
                    }
                    for (WorkerEntry entry : all) {
                        for (Environment env : entry.environments.values()) {
                            told(subscriber, s -> s.environmentChanged(env));
                        }
                    }
                    told(subscriber, FleetSubscriber::replayed);
                }
            }
        }
        if (ended) {
            subscriber.closed();
        }
    }

    /** Removes a subscriber; it is told nothing more. May be called from within a subscriber's call. */
    public void unsubscribe(FleetSubscriber subscriber) {
        synchronized (lock) {
            subscribers.remove(subscriber);
        }
    }

    /** Under the lock: the worker as subscribers see it. */
    private WorkerInfo info(WorkerEntry entry) {
        return entry.info(index.worker(entry.id));
    }

    /** Under the lock: every subscriber is told, in the order they subscribed; one that fails is logged and kept. */
    private void tell(java.util.function.Consumer<FleetSubscriber> event) {
        for (FleetSubscriber subscriber : subscribers) {
            told(subscriber, event);
        }
    }

    private static void told(FleetSubscriber subscriber, java.util.function.Consumer<FleetSubscriber> event) {
        try {
            event.accept(subscriber);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "a fleet subscriber failed", e);
        }
    }

    /** Outside the lock, after changes: subscribers act on them. */
    private void settle() {
        for (FleetSubscriber subscriber : subscribers) {
            told(subscriber, FleetSubscriber::settled);
        }
    }

    /** The worker's stream ended or failed: it leaves the view, unless it already connected again. */
    public void disconnected(String workerId, WorkerConnection connection) {
        synchronized (lock) {
            if (current(workerId, connection) == null) {
                return;
            }
            removeLocked(workerId, Departure.ENDED, "its stream ended");
        }
        LOG.log(System.Logger.Level.INFO, "worker " + workerId + " disconnected");
        settle();
    }

    /** Removes the workers that reported nothing for the heartbeat timeout, and closes their links. */
    public List<String> expireSilent() {
        Instant oldest = clock.instant().minus(heartbeatTimeout);
        List<WorkerEntry> expired = new ArrayList<>();
        synchronized (lock) {
            for (WorkerEntry entry : List.copyOf(workers.values())) {
                if (entry.lastReport.isBefore(oldest)) {
                    expired.add(removeLocked(entry.id, Departure.SILENT, "no heartbeat for " + heartbeatTimeout.toMillis() + " ms"));
                }
            }
        }
        if (!expired.isEmpty()) {
            settle();
        }
        for (WorkerEntry entry : expired) {
            String reason = "worker " + entry.id + " reported nothing for " + heartbeatTimeout.toMillis()
                    + " ms (expected: a heartbeat at least every " + heartbeatTimeout.toMillis() + " ms)";
            LOG.log(System.Logger.Level.WARNING, reason);
            entry.connection.close(reason);
        }
        return expired.stream().map(e -> e.id).toList();
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
            return workers.values().stream().map(this::info).sorted(Comparator.comparing(WorkerInfo::id)).toList();
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

    public int size() {
        synchronized (lock) {
            return workers.size();
        }
    }

    /** Ends every worker's link; subscribers are told each leaving, then that the view closed. Idempotent. */
    @Override
    public void close() {
        List<WorkerEntry> all;
        List<FleetSubscriber> told;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(workers.values());
            all.forEach(e -> removeLocked(e.id, Departure.CLOSED, "the controller is shutting down"));
            told = new ArrayList<>(subscribers);
            subscribers.clear();
        }
        all.forEach(e -> e.connection.close("the controller is shutting down"));
        for (FleetSubscriber subscriber : told) {
            told(subscriber, FleetSubscriber::settled);
            told(subscriber, FleetSubscriber::closed);
        }
    }

    // ---- under the lock ------------------------------------------------------------------------

    private WorkerEntry current(String workerId, WorkerConnection connection) {
        WorkerEntry entry = workerId == null ? null : workers.get(workerId);
        return entry != null && entry.connection == connection ? entry : null;
    }

    private WorkerEntry removeLocked(String workerId, Departure departure, String reason) {
        WorkerEntry entry = workers.remove(workerId);
        if (entry == null) {
            return null;
        }
        tell(s -> s.workerLeft(workerId, departure, reason));
        index.removeWorker(workerId);
        entry.environments.clear();
        for (Map<String, Deque<WarmPromise>> byWorker : promises.values()) {
            Deque<WarmPromise> queue = byWorker.remove(workerId);
            if (queue != null) {
                queue.forEach(p -> p.settled = true);
            }
        }
        promises.values().removeIf(Map::isEmpty);
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
        Long answered = entry.answeredThrough.get(env.getId());
        boolean busy = env.getState() == Environment.State.BUSY;
        // A BUSY report of an invocation already answered: the environment is about to be idle, not busy.
        boolean stale = answered != null && busy && env.getInvocations() <= answered;
        if (answered != null && (retired || env.getInvocations() > answered || !busy && env.getInvocations() >= answered)) {
            entry.answeredThrough.remove(env.getId());
        }
        index.environment(entry.id, env.getId(), env.getRevisionId(), env.getMemoryMb(),
                retired ? null : stale ? FleetIndex.Slot.FINISHING : slot(env));
        tell(s -> s.environmentChanged(env));
        if (!stale && previous != null && isWarm(previous) && busy) {
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
