package dev.floe.controller.registry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A worker link that records what the fleet view sent it. */
public final class RecordingConnection implements WorkerConnection {
    public final List<String> retired = new CopyOnWriteArrayList<>();
    public final List<String> closed = new CopyOnWriteArrayList<>();

    @Override
    public void retireFunction(String function, java.util.Set<String> keepRevisionIds) {
        retired.add(function + "@" + String.join(",", keepRevisionIds));
    }

    @Override
    public void close(String reason) {
        closed.add(reason);
    }
}
