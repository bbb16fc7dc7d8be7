package dev.floe.controller.registry;

import dev.floe.proto.Environment;
import dev.floe.proto.FleetChange;

/**
 * The fleet view's changes as the {@code Fleet.Watch} stream sends them: every worker, then every
 * environment (of one function only, when asked), then {@code synced}, then each change in the order the
 * view applied it. A subscriber of the view.
 */
public final class FleetChanges implements FleetSubscriber {
    /** Takes the changes as they are applied. */
    public interface Watcher {
        /**
         * Takes one change, under the view's lock: it must not block or call back into the view.
         * False when the watcher can take no more; it is then dropped.
         */
        boolean offer(FleetChange change);

        /** The view is closing: no change will follow. Called outside the lock. */
        default void ended() {}
    }

    private final FleetView fleet;
    private final String function;
    private final Watcher watcher;
    /** Set under the view's lock, once the watcher could take no more. */
    private boolean dropped;

    private FleetChanges(FleetView fleet, String function, Watcher watcher) {
        this.fleet = fleet;
        this.function = function == null ? "" : function;
        this.watcher = watcher;
    }

    /**
     * Sends {@code watcher} the fleet as it is (of {@code function} only when it is not empty), then
     * {@code synced}, then every change as it is applied, until the returned handle is run.
     */
    public static Runnable watch(FleetView fleet, String function, Watcher watcher) {
        FleetChanges changes = new FleetChanges(fleet, function, watcher);
        fleet.subscribe(changes, true);
        return () -> fleet.unsubscribe(changes);
    }

    @Override
    public void workerJoined(WorkerInfo worker, WorkerConnection link) {
        offer(FleetChange.newBuilder().setWorker(worker.toProto()).build());
    }

    @Override
    public void workerChanged(WorkerInfo worker) {
        offer(FleetChange.newBuilder().setWorker(worker.toProto()).build());
    }

    @Override
    public void workerLeft(String workerId, Departure departure, String reason) {
        offer(FleetChange.newBuilder().setWorkerLeft(workerId).build());
    }

    @Override
    public void environmentChanged(Environment environment) {
        if (function.isEmpty() || environment.getFunction().equals(function)) {
            offer(FleetChange.newBuilder().setEnvironment(environment).build());
        }
    }

    @Override
    public void replayed() {
        offer(FleetChange.newBuilder().setSynced(true).build());
    }

    @Override
    public void closed() {
        watcher.ended();
    }

    private void offer(FleetChange change) {
        if (!dropped && !watcher.offer(change)) {
            dropped = true;
            fleet.unsubscribe(this);
        }
    }
}
