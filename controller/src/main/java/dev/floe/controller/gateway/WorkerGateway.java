package dev.floe.controller.gateway;

import dev.floe.controller.invoke.ChunkSink;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import io.grpc.Deadline;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Every call the controller makes to its workers. A call that ends without an answer fails its future with
 * a {@link WorkerCallException}, whose {@link WorkerCallException.Outcome outcome} says whether anything
 * ran; no caller reads the transport's status codes. Calls never block the calling thread; cancelling a
 * returned future cancels the call.
 */
public interface WorkerGateway {
    /** Runs one invocation on the worker ({@code WorkerInvoker.Invoke}); the answer holds the whole response. */
    CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline);

    /**
     * As {@link #invoke}, with {@code WorkerInvoker.InvokeStream}: the pieces of the response go to
     * {@code chunks} as it takes them (the next is asked of the worker only once it has taken the last),
     * and the answer holds the rest (an error document, or nothing). A refusal comes before any piece.
     */
    CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, Deadline deadline,
                                                   ChunkSink chunks);

    /**
     * Asks the worker to keep {@code count} initialized environments of the revision
     * ({@code WorkerInvoker.Provision}); the answer is how many it holds now, fewer when it has no room.
     */
    CompletableFuture<Integer> provision(String workerId, Function function, int count);

    /**
     * Tells every connected worker to retire the function's environments except those of
     * {@code keepRevisionIds} (the latest first; empty: all of them). Sent on each worker's link, in order.
     */
    void retire(String function, Set<String> keepRevisionIds);
}
