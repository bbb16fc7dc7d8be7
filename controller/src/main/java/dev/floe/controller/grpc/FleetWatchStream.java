package dev.floe.controller.grpc;

import dev.floe.controller.registry.FleetChanges;
import dev.floe.proto.FleetChange;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code Fleet.Watch} call. The fleet view hands it changes under its lock, so it only queues
 * them; it sends them on the executor as fast as the watcher's flow control lets it, so a slow
 * watcher never slows the view. One that falls more than {@link #MAX_QUEUED} changes behind is cut
 * off with RESOURCE_EXHAUSTED: it can watch again and get a fresh snapshot.
 */
final class FleetWatchStream implements FleetChanges.Watcher {
    static final int MAX_QUEUED = 10_000;

    private final ServerCallStreamObserver<FleetChange> call;
    private final Executor executor;
    private final Queue<FleetChange> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** Drains in progress or asked for: only the one that raises it from 0 drains. */
    private final AtomicInteger work = new AtomicInteger();
    private volatile Status ending;
    private boolean ended;
    private volatile Runnable unwatch = () -> { };

    FleetWatchStream(ServerCallStreamObserver<FleetChange> call, Executor executor) {
        this.call = call;
        this.executor = executor;
        call.setOnReadyHandler(this::schedule);
        call.setOnCancelHandler(() -> unwatch.run());
    }

    void watching(Runnable unwatch) {
        this.unwatch = unwatch;
        if (call.isCancelled() || ending != null) {
            unwatch.run();
        }
    }

    @Override
    public boolean offer(FleetChange change) {
        if (queued.incrementAndGet() > MAX_QUEUED) {
            end(Status.RESOURCE_EXHAUSTED.withDescription("this watcher fell more than " + MAX_QUEUED
                    + " changes behind the fleet; watch again for a fresh snapshot"));
            return false;
        }
        queue.add(change);
        schedule();
        return true;
    }

    @Override
    public void ended() {
        end(Status.UNAVAILABLE.withDescription("the controller is shutting down"));
    }

    private void end(Status status) {
        ending = status;
        schedule();
    }

    private void schedule() {
        if (work.getAndIncrement() == 0) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        do {
            try {
                if (!ended && !call.isCancelled()) {
                    if (ending != null) {
                        ended = true;
                        queue.clear();
                        call.onError(ending.asRuntimeException());
                        unwatch.run();
                    } else {
                        while (call.isReady()) {
                            FleetChange next = queue.poll();
                            if (next == null) {
                                break;
                            }
                            queued.decrementAndGet();
                            call.onNext(next);
                        }
                    }
                }
            } catch (RuntimeException e) {
                // the watcher went away meanwhile
                ended = true;
                unwatch.run();
            }
        } while (work.decrementAndGet() != 0);
    }
}
