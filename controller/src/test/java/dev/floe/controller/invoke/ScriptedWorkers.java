package dev.floe.controller.invoke;

import dev.floe.common.ErrorType;
import dev.floe.controller.gateway.WorkerCallException;
import dev.floe.controller.gateway.WorkerGateway;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import io.grpc.Deadline;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Workers that answer invocations as a test scripts them, in the gateway's outcomes. */
final class ScriptedWorkers implements WorkerGateway {
    /** How the scripted workers answer one invocation. */
    interface Answer {
        CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline);
    }

    /** How the scripted workers answer one streamed invocation: they hand their pieces to {@code chunks}. */
    interface Stream {
        CompletableFuture<InvokeResponse> invokeStream(ChunkSink chunks);
    }

    private final Answer answer;
    private final Stream stream;

    private ScriptedWorkers(Answer answer, Stream stream) {
        this.answer = answer;
        this.stream = stream;
    }

    static ScriptedWorkers answering(Answer answer) {
        return new ScriptedWorkers(answer, null);
    }

    /** Workers that only stream; a whole invocation is an error of the test. */
    static ScriptedWorkers streaming(Stream stream) {
        return new ScriptedWorkers((id, request, deadline) -> {
            throw new AssertionError("a stream is invoked with invokeStream");
        }, stream);
    }

    /** A call that ended with {@code outcome}. */
    static CompletableFuture<InvokeResponse> ending(WorkerCallException.Outcome outcome, ErrorType type, String message) {
        return CompletableFuture.failedFuture(WorkerCallException.of(outcome, type, message));
    }

    @Override
    public CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline) {
        return answer.invoke(workerId, request, deadline);
    }

    /** The scripted stream, or the whole answer as one piece. */
    @Override
    public CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, Deadline deadline,
                                                          ChunkSink chunks) {
        if (stream != null) {
            return stream.invokeStream(chunks);
        }
        return invoke(workerId, request, deadline).thenApply(response -> {
            if (!response.getFunctionError().isEmpty() || response.getPayload().isEmpty()) {
                return response;
            }
            chunks.accept(response.getPayload(), () -> {});
            return response.toBuilder().clearPayload().build();
        });
    }

    @Override
    public CompletableFuture<Integer> provision(String workerId, Function function, int count) {
        return CompletableFuture.failedFuture(new AssertionError("the invoker provisions nothing"));
    }

    @Override
    public void retire(String function, Set<String> keepRevisionIds) {
        throw new AssertionError("the invoker retires nothing");
    }
}
