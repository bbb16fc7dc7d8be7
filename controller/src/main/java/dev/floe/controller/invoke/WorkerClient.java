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
}
