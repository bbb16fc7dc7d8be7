package dev.floe.controller.registry;

import dev.floe.proto.Environment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells a listener, outside the fleet view's lock, when the fleet may have gained room for an invocation
 * that found none: a worker joined, or an environment became free (idle, frozen) or left.
 */
public final class RoomSignal implements FleetSubscriber {
    private final Runnable listener;
    private final AtomicBoolean pending = new AtomicBoolean();

    public RoomSignal(Runnable listener) {
        this.listener = listener;
    }

    @Override
    public void workerJoined(WorkerInfo worker, WorkerConnection link) {
        pending.set(true);
    }

    @Override
    public void environmentChanged(Environment environment) {
        Environment.State state = environment.getState();
        if (state == Environment.State.RETIRED || state == Environment.State.IDLE || state == Environment.State.FROZEN) {
            pending.set(true);
        }
    }

    @Override
    public void settled() {
        if (pending.getAndSet(false)) {
            listener.run();
        }
    }
}
