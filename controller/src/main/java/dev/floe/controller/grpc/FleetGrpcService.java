package dev.floe.controller.grpc;

import dev.floe.controller.registry.FleetChanges;
import dev.floe.controller.registry.FleetView;
import dev.floe.controller.registry.WorkerInfo;
import dev.floe.proto.FleetChange;
import dev.floe.proto.FleetGrpc;
import dev.floe.proto.ListEnvironmentsRequest;
import dev.floe.proto.ListEnvironmentsResponse;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.ListWorkersResponse;
import dev.floe.proto.WatchRequest;
import dev.floe.proto.Worker;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;

/** The {@code Fleet} service: the fleet view's workers and environments as protos. */
public final class FleetGrpcService extends FleetGrpc.FleetImplBase {
    private final FleetView fleet;
    private final Executor executor;

    /** {@code executor} sends watchers their changes. */
    public FleetGrpcService(FleetView fleet, Executor executor) {
        this.fleet = fleet;
        this.executor = executor;
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

    @Override
    public void watch(WatchRequest request, StreamObserver<FleetChange> responses) {
        FleetWatchStream stream = new FleetWatchStream((ServerCallStreamObserver<FleetChange>) responses, executor);
        stream.watching(FleetChanges.watch(fleet, request.getFunction(), stream));
    }

    static Worker toProto(WorkerInfo w) {
        return w.toProto();
    }
}
