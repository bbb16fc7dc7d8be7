package dev.floe.controller.registry;

import dev.floe.proto.Environment;

/**
 * Hears of the fleet view's changes: the channels to workers, the watch stream and the room signal are
 * built on these. The view calls them under its lock, in the order it applies the changes, so they must be
 * quick, must not block and must not call back into the view; {@link #settled()} and {@link #closed()}
 * come outside the lock.
 */
public interface FleetSubscriber {
    /** Why a worker left the view. */
    enum Departure {
        /** Its stream ended: calls in flight on it may still finish. */
        ENDED,
        /** It reported nothing for the heartbeat timeout: nothing more will come from it. */
        SILENT,
        /** It registered again over a new connection, and joins again right after. */
        REPLACED,
        /** The controller is shutting down. */
        CLOSED
    }

    /** A worker registered, over {@code link}. */
    default void workerJoined(WorkerInfo worker, WorkerConnection link) {}

    /** A worker's figures changed (a heartbeat). */
    default void workerChanged(WorkerInfo worker) {}

    /** A worker left the view with every environment it held; {@code reason} says why, for a person. */
    default void workerLeft(String workerId, Departure departure, String reason) {}

    /** An environment's full state after a change; RETIRED means it is gone. */
    default void environmentChanged(Environment environment) {}

    /** With {@link FleetView#subscribe(FleetSubscriber, boolean) replay}: the fleet as it was has been told. */
    default void replayed() {}

    /** Outside the lock, after one or more changes were told. */
    default void settled() {}

    /** The view closed: nothing follows. Outside the lock. */
    default void closed() {}
}
