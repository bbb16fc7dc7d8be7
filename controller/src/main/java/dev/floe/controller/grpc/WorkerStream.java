package dev.floe.controller.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.registry.WorkerConnection;
import dev.floe.proto.ControllerCommand;
import dev.floe.proto.Registered;
import dev.floe.proto.RetireFunction;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;

/**
 * The controller's side of one {@code WorkerLink.Connect} stream. A stream observer is not
 * thread-safe, and commands come from any thread (a retire from a {@code Functions} call, a close
 * from the heartbeat sweep), so every send is under this object's lock; once the stream has ended,
 * sends are dropped.
 */
final class WorkerStream implements WorkerConnection {
    private final ServerCallStreamObserver<ControllerCommand> out;
    private boolean ended;
    /** Set once the worker registered; read by the thread delivering its reports. */
    private volatile String workerId;

    WorkerStream(ServerCallStreamObserver<ControllerCommand> out) {
        this.out = out;
        // With a handler set, sending on a cancelled stream is a no-op instead of an exception.
        out.setOnCancelHandler(this::cancelled);
    }

    String workerId() {
        return workerId;
    }

    void registeredAs(String id, Duration heartbeatInterval) {
        workerId = id;
        send(ControllerCommand.newBuilder()
                .setRegistered(Registered.newBuilder().setHeartbeatIntervalMs((int) heartbeatInterval.toMillis()))
                .build());
    }

    @Override
    public void retireFunction(String function, java.util.Set<String> keepRevisionIds) {
        // keep_revision_id alone is what a worker of an older Floe reads: the latest, which comes first.
        String latest = keepRevisionIds.isEmpty() ? "" : keepRevisionIds.iterator().next();
        send(ControllerCommand.newBuilder()
                .setRetireFunction(RetireFunction.newBuilder().setFunction(function).setKeepRevisionId(latest)
                        .addAllKeepRevisionIds(keepRevisionIds))
                .build());
    }

    @Override
    public void close(String reason) {
        fail(new FloeException(ErrorType.SERVICE_UNAVAILABLE, reason).toStatus());
    }

    synchronized void fail(StatusRuntimeException status) {
        if (!ended) {
            ended = true;
            try {
                out.onError(status);
            } catch (IllegalStateException alreadyClosed) {
                // the call ended on its own meanwhile
            }
        }
    }

    synchronized void complete() {
        if (!ended) {
            ended = true;
            try {
                out.onCompleted();
            } catch (IllegalStateException alreadyClosed) {
                // the call ended on its own meanwhile
            }
        }
    }

    private synchronized void send(ControllerCommand command) {
        if (ended) {
            return;
        }
        try {
            out.onNext(command);
        } catch (IllegalStateException | StatusRuntimeException closed) {
            ended = true;
        }
    }

    private synchronized void cancelled() {
        ended = true;
    }

    @Override
    public String toString() {
        return "link of worker " + workerId;
    }
}
