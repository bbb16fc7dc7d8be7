package dev.floe.controller.gateway;

import dev.floe.proto.InvokeResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Starts one call that is answered with an {@link InvokeResponse}, whole (unary) or after pieces
 * (server streaming), without holding a thread while it runs.
 */
final class InvocationCalls {
    private InvocationCalls() {}

    /** Reads a call's messages: the answer, or null for a piece passed on. */
    interface Answer<T> {
        InvokeResponse in(T message);

        /** The call, before it starts: e.g. to take over its flow control. */
        default void beforeStart(ClientCallStreamObserver<?> call) {}
    }

    /**
     * Starts {@code method} on {@code channel} with {@code request}. The future completes with the answer
     * {@code answer} found, fails with what {@code failed} makes of the call's failure and of whether the
     * request was written to the worker's connection (then the worker may have it, and may have run it),
     * or with {@code noAnswer}'s when the call ended without one; completing or cancelling it first
     * cancels the call.
     */
    static <Q, T> CompletableFuture<InvokeResponse> start(Channel channel, MethodDescriptor<Q, T> method, Q request,
            Deadline deadline, Answer<T> answer, BiFunction<Throwable, Boolean, ? extends RuntimeException> failed,
            Supplier<? extends RuntimeException> noAnswer) {
        CompletableFuture<InvokeResponse> result = new CompletableFuture<>();
        AtomicBoolean sent = new AtomicBoolean();
        ClientStreamTracer.Factory sending = new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void outboundMessageSent(int seqNo, long optionalWireSize, long optionalUncompressedSize) {
                        sent.set(true);
                    }
                };
            }
        };
        ClientResponseObserver<Q, T> observer = new ClientResponseObserver<>() {
            private InvokeResponse response;

            @Override
            public void beforeStart(ClientCallStreamObserver<Q> call) {
                answer.beforeStart(call);
                result.whenComplete((r, failure) -> call.cancel("the invocation ended on the controller's side", null));
            }

            @Override
            public void onNext(T message) {
                InvokeResponse found = answer.in(message);
                if (found != null) {
                    response = found;
                }
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(failed.apply(t, sent.get()));
            }

            @Override
            public void onCompleted() {
                if (response == null) {
                    result.completeExceptionally(noAnswer.get());
                } else {
                    result.complete(response);
                }
            }
        };
        // Not in whatever gRPC context this thread is in: an invocation woken from the admission queue
        // continues on the thread that ended another invocation, whose server call's context is cancelled
        // when it ends, which would cancel this call too. The invocation cancels the call itself, and the
        // deadline is explicit.
        Context.ROOT.run(() -> {
            ClientCall<Q, T> call = channel.newCall(method, CallOptions.DEFAULT.withDeadline(deadline).withStreamTracerFactory(sending));
            try {
                if (method.getType() == MethodDescriptor.MethodType.UNARY) {
                    ClientCalls.asyncUnaryCall(call, request, observer);
                } else {
                    ClientCalls.asyncServerStreamingCall(call, request, observer);
                }
            } catch (RuntimeException e) {
                // A call that fails as it starts (nothing listens at the worker's port) can end the invocation,
                // which cancels the call, before gRPC sends the request: sending then throws. The invocation
                // already has its outcome; a throw with none is a failure to send.
                if (!result.isDone()) {
                    result.completeExceptionally(failed.apply(e, sent.get()));
                }
            }
        });
        return result;
    }
}
