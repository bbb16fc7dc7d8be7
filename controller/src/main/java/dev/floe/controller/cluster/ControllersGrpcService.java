package dev.floe.controller.cluster;

import dev.floe.controller.grpc.Replies;
import dev.floe.proto.ControllerMember;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.ControllersGrpc;
import dev.floe.proto.ListControllersRequest;
import dev.floe.proto.ListControllersResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The {@code Controllers} service: the members of the cluster as this controller last read them, with their shards. */
public final class ControllersGrpcService extends ControllersGrpc.ControllersImplBase {
    private final Supplier<ControllerCluster> cluster;
    private final BooleanSupplier serving;

    public ControllersGrpcService(Supplier<ControllerCluster> cluster, BooleanSupplier serving) {
        this.cluster = cluster;
        this.serving = serving;
    }

    @Override
    public void copyCode(dev.floe.proto.CopyCodeRequest request, StreamObserver<dev.floe.proto.CopyCodeResponse> responses) {
        Replies.unary(responses, () -> {
            ControllerCluster c = cluster.get();
            if (c == null || c.codeCopies() == null) {
                throw new dev.floe.common.FloeException(dev.floe.common.ErrorType.INVALID_PARAMETER,
                        "this controller is in no cluster (expected: a controller started with --etcd)");
            }
            c.codeCopies().fetchFrom(request.getFrom(), request.getSha256().toLowerCase(java.util.Locale.ROOT));
            return dev.floe.proto.CopyCodeResponse.getDefaultInstance();
        });
    }

    @Override
    public void listControllers(ListControllersRequest request, StreamObserver<ListControllersResponse> responses) {
        Replies.unary(responses, () -> {
            ControllerCluster c = cluster.get();
            if (c == null) {
                return ListControllersResponse.newBuilder().setClustered(false).build();
            }
            ListControllersResponse.Builder b = ListControllersResponse.newBuilder().setClustered(true).setShardCount(Shards.COUNT);
            for (ControllerMember m : c.membership().live().values()) {
                boolean self = m.getId().equals(c.membership().id());
                b.addControllers(ControllerStatus.newBuilder().setMember(m).addAllShards(c.shards().ownedBy(m.getId()))
                        .setHealthy(!self || serving.getAsBoolean()).setAnswering(self));
            }
            return b.build();
        });
    }
}
