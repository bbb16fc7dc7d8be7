package dev.floe.controller.invoke;

import dev.floe.controller.registry.FleetView;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Calls workers over the channels the fleet view keeps, with the asynchronous stub: the calling
 * thread returns at once and the answer completes the future on a gRPC callback thread.
 */
public final class GrpcWorkerClient implements WorkerClient {
    private final FleetView fleet;

    public GrpcWorkerClient(FleetView fleet) {
        this.fleet = fleet;
    }

    @Override
    public CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, io.grpc.Deadline deadline) {
        Optional<ManagedChannel> channel = fleet.channel(workerId);
        if (channel.isEmpty()) {
            // It left between placement and the call: as good as unreachable, so the invocation is placed again.
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("worker " + workerId + " left the fleet").asRuntimeException());
        }
        CompletableFuture<InvokeResponse> result = new CompletableFuture<>();
        WorkerInvokerGrpc.newStub(channel.get()).withDeadline(deadline).invoke(request, new ClientResponseObserver<WorkerInvokeRequest, InvokeResponse>() {
            private InvokeResponse response;

            @Override
            public void beforeStart(ClientCallStreamObserver<WorkerInvokeRequest> call) {
                result.whenComplete((r, failure) -> {
                    if (result.isCancelled()) {
                        call.cancel("the invocation was cancelled", null);
                    }
                });
            }

            @Override
            public void onNext(InvokeResponse value) {
                response = value;
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (response == null) {
                    result.completeExceptionally(Status.INTERNAL
                            .withDescription("worker " + workerId + " ended the call without an answer").asRuntimeException());
                } else {
                    result.complete(response);
                }
            }
        });
        return result;
    }

    @Override
    public CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, io.grpc.Deadline deadline,
                                                          java.util.function.Consumer<com.google.protobuf.ByteString> chunks) {
        Optional<ManagedChannel> channel = fleet.channel(workerId);
        if (channel.isEmpty()) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("worker " + workerId + " left the fleet").asRuntimeException());
        }
        CompletableFuture<InvokeResponse> result = new CompletableFuture<>();
        WorkerInvokerGrpc.newStub(channel.get()).withDeadline(deadline).invokeStream(request,
                new ClientResponseObserver<WorkerInvokeRequest, dev.floe.proto.InvokeStreamMessage>() {
                    private InvokeResponse response;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<WorkerInvokeRequest> call) {
                        result.whenComplete((r, failure) -> {
                            if (result.isCancelled()) {
                                call.cancel("the invocation was cancelled", null);
                            }
                        });
                    }

                    @Override
                    public void onNext(dev.floe.proto.InvokeStreamMessage value) {
                        if (value.hasDone()) {
                            response = value.getDone();
                        } else {
                            chunks.accept(value.getChunk());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        if (response == null) {
                            result.completeExceptionally(Status.INTERNAL
                                    .withDescription("worker " + workerId + " ended the stream without an answer").asRuntimeException());
                        } else {
                            result.complete(response);
                        }
                    }
                });
        return result;
    }
}
