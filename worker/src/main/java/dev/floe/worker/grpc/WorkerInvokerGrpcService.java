package dev.floe.worker.grpc;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.worker.environment.EnvironmentPool;
import dev.floe.worker.environment.InvocationRequest;
import dev.floe.worker.environment.InvocationResult;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;

/** Maps the controller's invocation requests to the pool, and the pool's refusals to gRPC statuses. */
public final class WorkerInvokerGrpcService extends WorkerInvokerGrpc.WorkerInvokerImplBase {
    private static final java.util.regex.Pattern SHA256 = java.util.regex.Pattern.compile("[0-9a-f]{64}");
    private final EnvironmentPool pool;
    private final String workerId;

    public WorkerInvokerGrpcService(EnvironmentPool pool, String workerId) {
        this.pool = pool;
        this.workerId = workerId;
    }

    @Override
    public void invoke(WorkerInvokeRequest request, StreamObserver<InvokeResponse> responses) {
        try {
            // The controller checked it already; a worker does not take a function's shape on trust.
            FunctionLimits.checkName(request.getFunction().getName());
            FunctionLimits.check(request.getFunction().getConfig());
            if (!SHA256.matcher(request.getFunction().getCodeSha256()).matches() || request.getFunction().getRevisionId().isEmpty()) {
                throw new FloeException(ErrorType.INVALID_PARAMETER, "function: no code sha256 or revision id");
            }
        } catch (FloeException invalid) {
            responses.onError(invalid.toStatus());
            return;
        }
        InvocationRequest invocation = new InvocationRequest(request.getRequestId(), request.getPayload().toByteArray(),
                request.getTailLog(), request.getClientContext());
        pool.invoke(request.getFunction(), invocation, request.getWarmOnly()).whenComplete((result, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                responses.onError(FloeException.fromThrowable(cause).toStatus());
                return;
            }
            responses.onNext(toProto(result, request));
            responses.onCompleted();
        });
    }

    private InvokeResponse toProto(InvocationResult result, WorkerInvokeRequest request) {
        return InvokeResponse.newBuilder()
                .setRequestId(result.requestId())
                .setPayload(ByteString.copyFrom(result.payload()))
                .setFunctionError(result.functionError())
                .setErrorType(result.errorType())
                .setCold(result.cold())
                .setEnvironmentId(result.environmentId())
                .setWorkerId(workerId)
                .setFunction(request.getFunction().getName())
                .setRevision(request.getFunction().getRevision())
                .setDurationMs(result.durationMs())
                .setBilledDurationMs(result.billedDurationMs())
                .setInitDurationMs(result.initDurationMs())
                .setMaxMemoryUsedMb(result.maxMemoryUsedMb())
                .setMemorySizeMb(result.memorySizeMb())
                .setLogTail(result.logTail())
                .build();
    }
}
