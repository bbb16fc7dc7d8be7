package dev.floe.worker.grpc;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ProvisionRequest;
import dev.floe.proto.ProvisionResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.worker.environment.EnvironmentPool;
import dev.floe.worker.environment.InvocationRequest;
import dev.floe.worker.environment.InvocationResult;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/** Maps the controller's invocation requests to the pool, and the pool's refusals to gRPC statuses. */
public final class WorkerInvokerGrpcService extends WorkerInvokerGrpc.WorkerInvokerImplBase {
    private static final java.util.regex.Pattern SHA256 = java.util.regex.Pattern.compile("[0-9a-f]{64}");
    private final EnvironmentPool pool;
    private final String workerId;
    /** Bytes of streamed responses read from runtimes and waiting for their controller to take them. */
    private final AtomicLong streamBuffered = new AtomicLong();

    public WorkerInvokerGrpcService(EnvironmentPool pool, String workerId) {
        this(pool, workerId, new SimpleMeterRegistry());
    }

    public WorkerInvokerGrpcService(EnvironmentPool pool, String workerId, MeterRegistry meters) {
        this.pool = pool;
        this.workerId = workerId;
        Gauge.builder("floe.worker.stream.buffered", streamBuffered, AtomicLong::get).tag("worker", workerId)
                .description("bytes of streamed responses read from runtimes and waiting for the controller to take them")
                .baseUnit("bytes").register(meters);
    }

    /** The controller checked it already; a worker does not take a function's shape on trust. */
    private static void check(dev.floe.proto.Function function) {
        FunctionLimits.checkName(function.getName());
        FunctionLimits.check(function.getConfig());
        if (!SHA256.matcher(function.getCodeSha256()).matches() || function.getRevisionId().isEmpty()) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "function: no code sha256 or revision id");
        }
    }

    @Override
    public void provision(ProvisionRequest request, StreamObserver<ProvisionResponse> responses) {
        try {
            check(request.getFunction());
            if (request.getCount() < 0) {
                throw new FloeException(ErrorType.INVALID_PARAMETER, "count: " + request.getCount() + " (expected: 0 or more)");
            }
            int held = pool.provision(request.getFunction(), request.getCount());
            responses.onNext(ProvisionResponse.newBuilder().setHeld(held).build());
            responses.onCompleted();
        } catch (FloeException refused) {
            responses.onError(refused.toStatus());
        }
    }

    @Override
    public void invoke(WorkerInvokeRequest request, StreamObserver<InvokeResponse> responses) {
        if (!valid(request, responses)) {
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

    /**
     * Streams a response as the runtime sends it, at the pace the controller reads it ({@link StreamRelay}),
     * then the result. A runtime that answers in one piece gives one chunk.
     */
    @Override
    public void invokeStream(WorkerInvokeRequest request, StreamObserver<InvokeStreamMessage> messages) {
        if (!valid(request, messages)) {
            return;
        }
        StreamRelay relay = new StreamRelay((ServerCallStreamObserver<InvokeStreamMessage>) messages, streamBuffered);
        InvocationRequest invocation = new InvocationRequest(request.getRequestId(), request.getPayload().toByteArray(),
                request.getTailLog(), request.getClientContext(), relay);
        pool.invoke(request.getFunction(), invocation, request.getWarmOnly()).whenComplete((result, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                relay.fail(FloeException.fromThrowable(cause).toStatus());
                return;
            }
            InvokeResponse done = toProto(result, request);
            if (!relay.anyPiece() && result.functionError().isEmpty() && result.payload().length > 0) {
                relay.chunk(result.payload());
                done = done.toBuilder().clearPayload().build();
            }
            relay.finish(done);
        });
    }

    private static boolean valid(WorkerInvokeRequest request, StreamObserver<?> responses) {
        try {
            check(request.getFunction());
        } catch (FloeException invalid) {
            responses.onError(invalid.toStatus());
            return false;
        }
        return true;
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
