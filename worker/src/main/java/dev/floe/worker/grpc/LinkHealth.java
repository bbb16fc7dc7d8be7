package dev.floe.worker.grpc;

import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.function.BooleanSupplier;

/**
 * What a worker's {@code grpc.health.v1.Health} says: the worker as a whole ({@code ""}) and
 * {@code floe.v1.WorkerInvoker} serve while its link to the controller is up, the same fact its
 * {@code /healthz} reports; a worker the controller cannot place on is no use to a balancer or a probe.
 * The link is polled ({@link #refresh()} on a timer) rather than listened to: the status changes rarely,
 * and watchers hear only changes.
 */
public final class LinkHealth {
    private final HealthStatusManager statuses = new HealthStatusManager();
    private final BooleanSupplier connected;
    private volatile boolean stopped;

    public LinkHealth(BooleanSupplier connected) {
        this.connected = connected;
        refresh();
    }

    /** The {@code grpc.health.v1.Health} service to add to the server. */
    public BindableService service() {
        return statuses.getHealthService();
    }

    /** Reads the link again; watchers hear of a change. */
    public void refresh() {
        if (stopped) {
            return;
        }
        ServingStatus status = connected.getAsBoolean() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        statuses.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        statuses.setStatus(WorkerInvokerGrpc.SERVICE_NAME, status);
    }

    /** Shutting down: NOT_SERVING from now on, whatever the link says. */
    public void stopping() {
        stopped = true;
        statuses.enterTerminalState();
    }
}
