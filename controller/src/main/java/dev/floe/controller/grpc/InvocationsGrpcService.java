package dev.floe.controller.grpc;

import dev.floe.controller.async.AsyncQueue;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.GetInvocationRequest;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeAsyncRequest;
import dev.floe.proto.InvokeAsyncResponse;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ListDeadLettersRequest;
import dev.floe.proto.ListDeadLettersResponse;
import dev.floe.proto.InvokeStreamMessage;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code Invocations} service. A synchronous call returns its thread at once; the answer is sent
 * when the worker's arrives. A caller that cancels gets nothing more; the function runs on, holding its
 * concurrency slot until it returns (the {@code Invoker} keeps its worker call). Asynchronous calls
 * go to the {@link AsyncQueue}.
 */
public final class InvocationsGrpcService extends InvocationsGrpc.InvocationsImplBase {
    private final Invoker invoker;
    private final AsyncQueue async;

    public InvocationsGrpcService(Invoker invoker, AsyncQueue async) {
        this.invoker = invoker;
        this.async = async;
    }

    @Override
    public void invoke(InvokeRequest request, StreamObserver<InvokeResponse> responses) {
        ServerCallStreamObserver<InvokeResponse> call = (ServerCallStreamObserver<InvokeResponse>) responses;
        // A call another controller forwarded is placed here: one hop, never a loop.
        CompletableFuture<InvokeResponse> result = dev.floe.controller.cluster.OwnerForwarding.FORWARDED.get() != null
                ? invoker.invokeHere(call(request), null) : invoker.invoke(call(request));
        call.setOnCancelHandler(() -> result.cancel(false));
        result.whenComplete((response, failure) -> {
            if (call.isCancelled()) {
                return;
            }
            try {
                if (failure == null) {
                    call.onNext(response);
                    call.onCompleted();
                } else {
                    call.onError(Replies.status(failure));
                }
            } catch (IllegalStateException cancelledMeanwhile) {
                // the caller went away between the check and the answer; nobody is left to tell
            }
        });
    }

    @Override
    public void invokeAsync(InvokeAsyncRequest request, StreamObserver<InvokeAsyncResponse> responses) {
        Replies.unary(responses, () -> InvokeAsyncResponse.newBuilder()
                .addAllInvocationIds(async.submitAll(request.getFunction(), request.getQualifier(), request.getPayloadsList()))
                .build());
    }

    @Override
    public void getInvocation(GetInvocationRequest request, StreamObserver<AsyncInvocation> responses) {
        Replies.unary(responses, () -> async.get(request.getInvocationId()));
    }

    @Override
    public void listDeadLetters(ListDeadLettersRequest request, StreamObserver<ListDeadLettersResponse> responses) {
        Replies.unary(responses, () -> ListDeadLettersResponse.newBuilder()
                .addAllInvocations(async.deadLetters(request.getFunction(), request.getLimit()))
                .build());
    }

    /**
     * Relays a streamed response's pieces at the pace the caller reads them ({@link CallerStream}), then
     * the answer's metadata. A caller that cancels gets nothing more; the function runs on.
     */
    @Override
    public void invokeStream(InvokeRequest request, StreamObserver<InvokeStreamMessage> messages) {
        ServerCallStreamObserver<InvokeStreamMessage> call = (ServerCallStreamObserver<InvokeStreamMessage>) messages;
        CallerStream chunks = new CallerStream(call);
        CompletableFuture<InvokeResponse> result = invoker.invoke(call(request), chunks);
        call.setOnCancelHandler(() -> result.cancel(false));
        result.whenComplete((response, failure) -> {
            if (call.isCancelled()) {
                return;
            }
            try {
                if (failure == null) {
                    call.onNext(InvokeStreamMessage.newBuilder().setDone(response).build());
                    call.onCompleted();
                } else {
                    call.onError(Replies.status(failure));
                }
            } catch (IllegalStateException cancelledMeanwhile) {
                // the caller went away between the check and the answer; nobody is left to tell
            }
        });
    }

    private static InvokeCall call(InvokeRequest request) {
        return new InvokeCall(request.getFunction(), request.getPayload(), request.getTailLog(), request.getClientContext(),
                Context.current().getDeadline(), request.getQualifier());
    }
}
