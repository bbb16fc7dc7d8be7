package dev.floe.controller.invoke;

import dev.floe.controller.registry.FleetView;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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
    public CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline) {
        return this.<InvokeResponse>call(workerId, deadline, (stub, answer) -> stub.invoke(request, answer), call -> {},
                (call, response) -> response);
    }

    /**
     * Flow control: the call asks the worker for {@link ReadAhead#PIECES} messages ahead of {@code chunks},
     * and for one more each time {@code chunks} took one, so the controller holds at most that many pieces
     * of a stream besides what HTTP/2's window lets the worker send ahead ({@code Controller}'s worker
     * channels fix it at 1 MB). The answer completes once {@code chunks} took every piece.
     */
    @Override
    public CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, Deadline deadline,
                                                          ChunkSink chunks) {
        ReadAhead[] ahead = new ReadAhead[1];
        CompletableFuture<InvokeResponse> call = this.<InvokeStreamMessage>call(workerId, deadline,
                (stub, answer) -> stub.invokeStream(request, answer), started -> {
                    started.disableAutoRequestWithInitial(ReadAhead.PIECES);
                    ahead[0] = new ReadAhead(chunks, started::request);
                }, (started, message) -> {
                    if (message.hasDone()) {
                        ahead[0].ended();
                        return message.getDone();
                    }
                    ahead[0].arrived(message.getChunk());
                    return null;
                });
        CompletableFuture<InvokeResponse> answered = call.handle((answer, failure) -> {
            if (failure == null) {
                return ahead[0].drained().thenApply(taken -> answer);
            }
            if (ahead[0] != null) {
                ahead[0].failed(); // before the failure reaches the caller, so that no piece follows it
            }
            return CompletableFuture.<InvokeResponse>failedFuture(failure);
        }).thenCompose(answer -> answer);
        answered.whenComplete((r, failure) -> {
            if (answered.isCancelled()) {
                call.cancel(false);
            }
        });
        return answered;
    }

    private interface Start<T> {
        void start(WorkerInvokerGrpc.WorkerInvokerStub stub, ClientResponseObserver<WorkerInvokeRequest, T> answer);
    }

    private interface Answer<T> {
        /** The answer in {@code message}, or null for a piece passed on. */
        InvokeResponse in(ClientCallStreamObserver<WorkerInvokeRequest> call, T message);
    }

    /**
     * Starts a call whose messages {@code answerIn} reads: the answer, or null for a piece it passed on.
     * The future fails if the worker left, or ended the call without an answer; cancelling it cancels the call.
     */
    private <T> CompletableFuture<InvokeResponse> call(String workerId, Deadline deadline, Start<T> start,
                                                       Consumer<ClientCallStreamObserver<WorkerInvokeRequest>> beforeStart,
                                                       Answer<T> answerIn) {
        Optional<ManagedChannel> channel = fleet.channel(workerId);
        if (channel.isEmpty()) {
            // It left between placement and the call: as good as unreachable, so the invocation is placed again.
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("worker " + workerId + " left the fleet").asRuntimeException());
        }
        CompletableFuture<InvokeResponse> result = new CompletableFuture<>();
        ClientResponseObserver<WorkerInvokeRequest, T> answer = new ClientResponseObserver<>() {
            private InvokeResponse response;
            private ClientCallStreamObserver<WorkerInvokeRequest> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<WorkerInvokeRequest> call) {
                this.call = call;
                beforeStart.accept(call);
                result.whenComplete((r, failure) -> {
                    if (result.isCancelled()) {
                        call.cancel("the invocation was cancelled", null);
                    }
                });
            }

            @Override
            public void onNext(T message) {
                InvokeResponse answer = answerIn.in(call, message);
                if (answer != null) {
                    response = answer;
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
                            .withDescription("worker " + workerId + " ended the call without an answer").asRuntimeException());
                } else {
                    result.complete(response);
                }
            }
        };
        // Not in whatever gRPC context this thread is in: an invocation woken from the admission queue
        // continues on the thread that ended another invocation, whose server call's context is cancelled
        // when it ends, which would cancel this call too. The invocation cancels the call itself, and the
        // deadline is explicit.
        Context.ROOT.run(() -> start.start(WorkerInvokerGrpc.newStub(channel.get()).withDeadline(deadline), answer));
        return result;
    }
}
