package dev.floe.controller.grpc;

import dev.floe.controller.registry.FleetSubscriber;
import dev.floe.proto.FleetGrpc;
import dev.floe.proto.FunctionsGrpc;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.WorkerLinkGrpc;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * What the controller's {@code grpc.health.v1.Health} says, per service: the controller as a whole ({@code ""})
 * and {@code Functions}, {@code Fleet} and {@code WorkerLink} serve from start to shutdown; {@code Invocations}
 * serves only while at least one worker is connected, since without one every invocation would wait for room
 * and then fail. A load balancer or a Kubernetes readiness probe asks for {@code floe.v1.Invocations}.
 */
public final class ServingHealth implements FleetSubscriber {
    private final HealthStatusManager statuses = new HealthStatusManager();
    private final IntSupplier workers;
    private final AtomicInteger told = new AtomicInteger(-1);

    /** {@code workers}: how many workers are connected, read outside the fleet view's lock. */
    public ServingHealth(IntSupplier workers) {
        this.workers = workers;
        for (String service : new String[] {FunctionsGrpc.SERVICE_NAME, FleetGrpc.SERVICE_NAME, WorkerLinkGrpc.SERVICE_NAME}) {
            statuses.setStatus(service, ServingStatus.SERVING);
        }
        settled();
    }

    /** The {@code grpc.health.v1.Health} service to add to the server. */
    public BindableService service() {
        return statuses.getHealthService();
    }

    @Override
    public synchronized void settled() {
        // Synchronized: two settles racing must not leave the older count's status last.
        int connected = workers.getAsInt();
        if (told.getAndSet(connected) != connected) {
            statuses.setStatus(InvocationsGrpc.SERVICE_NAME, connected > 0 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        }
    }

    /** Shutting down: every service answers NOT_SERVING from now on, so balancers drain before the port closes. */
    public void stopping() {
        statuses.enterTerminalState();
    }
}
