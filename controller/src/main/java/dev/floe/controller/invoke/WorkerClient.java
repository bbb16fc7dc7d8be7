package dev.floe.controller.invoke;

import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import io.grpc.Deadline;
import java.util.concurrent.CompletableFuture;

/**
 * Calls one worker's {@code WorkerInvoker.Invoke}. The future fails with the gRPC status the
 * worker (or the transport) answered; cancelling it cancels the call.
 */
public interface WorkerClient {
    CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline);

    /**
     * As {@link #invoke}, with {@code WorkerInvoker.InvokeStream}: the pieces of the response go to
     * {@code chunks} as it takes them (the next is asked of the worker only once it has taken the last),
     * and the answer holds the rest (an error document, or nothing). By default the whole answer is one piece.
     */
    default CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, Deadline deadline,
                                                           ChunkSink chunks) {
        return invoke(workerId, request, deadline).thenApply(response -> {
            if (!response.getFunctionError().isEmpty() || response.getPayload().isEmpty()) {
                return response;
            }
            chunks.accept(response.getPayload(), () -> {});
            return response.toBuilder().clearPayload().build();
        });
    }
}
