package dev.floe.controller.grpc;

import com.google.protobuf.Timestamp;
import dev.floe.controller.registry.FleetView;
import dev.floe.controller.registry.WorkerInfo;
import dev.floe.proto.FleetGrpc;
import dev.floe.proto.ListEnvironmentsRequest;
import dev.floe.proto.ListEnvironmentsResponse;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.ListWorkersResponse;
import dev.floe.proto.Worker;
import io.grpc.stub.StreamObserver;
import java.time.Instant;

/** The {@code Fleet} service: the fleet view's workers and environments as protos. */
public final class FleetGrpcService extends FleetGrpc.FleetImplBase {
    private final FleetView fleet;

    public FleetGrpcService(FleetView fleet) {
        this.fleet = fleet;
    }

    @Override
    public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> responses) {
        Replies.unary(responses, () -> {
            ListWorkersResponse.Builder b = ListWorkersResponse.newBuilder();
            fleet.workers().forEach(w -> b.addWorkers(toProto(w)));
            return b.build();
        });
    }

    @Override
    public void listEnvironments(ListEnvironmentsRequest request, StreamObserver<ListEnvironmentsResponse> responses) {
        Replies.unary(responses, () -> ListEnvironmentsResponse.newBuilder()
                .addAllEnvironments(fleet.environments(request.getFunction())).build());
    }

    static Worker toProto(WorkerInfo w) {
        Worker.Builder b = Worker.newBuilder()
                .setId(w.id())
                .setAddress(w.address().toString())
                // Every worker in the view takes invocations: the link has no report for draining yet.
                .setState(Worker.State.READY)
                .setMemoryMb(w.memoryMb())
                .setMemoryUsedMb(w.usedMb())
                .setEnvironments(w.environments())
                .setSandbox(w.sandbox())
                .setConnectedAt(timestamp(w.connectedAt()));
        if (w.lastHeartbeat() != null) {
            b.setLastHeartbeat(timestamp(w.lastHeartbeat()));
        }
        return b.build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
