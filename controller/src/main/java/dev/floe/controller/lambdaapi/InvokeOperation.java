package dev.floe.controller.lambdaapi;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.function.Qualifier;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/**
 * Lambda's Invoke: {@code RequestResponse} runs the function and answers with its response,
 * {@code Event} hands it to {@link AsyncInvocations} and answers 202, {@code DryRun} only checks and
 * answers 204. Payload limits are Lambda's: 6 MB synchronous, 1 MB asynchronous
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
final class InvokeOperation {
    /** Lambda's limit on an asynchronous invocation's payload. */
    static final int ASYNC_PAYLOAD_MAX_BYTES = 1024 * 1024;
    /** The most of the log {@code X-Amz-Log-Result} carries. */
    static final int LOG_TAIL_BYTES = 4 * 1024;
    /** Lambda's limit on {@code X-Amz-Client-Context}, decoded. */
    static final int CLIENT_CONTEXT_MAX_BYTES = 3583;

    enum Type { REQUEST_RESPONSE, EVENT, DRY_RUN }

    private final FunctionCatalog catalog;
    private final Invoker invoker;
    private final AsyncInvocations async;

    InvokeOperation(FunctionCatalog catalog, Invoker invoker, AsyncInvocations async) {
        this.catalog = catalog;
        this.invoker = invoker;
        this.async = async;
    }

    CompletableFuture<ApiResponse> invoke(FunctionRef ref, LambdaRequest request) {
        Type type = type(request.header("x-amz-invocation-type"));
        boolean tail = logType(request.header("x-amz-log-type"));
        byte[] payload = request.body();
        checkPayload(payload, type);
        // Refuses an unknown function, revision or alias before anything runs or is queued. The
        // revision that runs is chosen again by the Invoker (an alias's routing) or when the event runs.
        Function function = catalog.revision(ref.name(), ref.qualifier());
        String version = executedVersion(ref, function.getRevision());
        return switch (type) {
            case DRY_RUN -> CompletableFuture.completedFuture(ApiResponse.empty(204).withHeader("X-Amz-Executed-Version", version));
            case EVENT -> {
                String requestId = async.submit(ref.name(), ref.qualifierText(), ByteString.copyFrom(payload));
                yield CompletableFuture.completedFuture(ApiResponse.empty(202).withHeader("x-amzn-RequestId", requestId)
                        .withHeader("X-Amz-Executed-Version", version));
            }
            case REQUEST_RESPONSE -> invoker.invoke(new InvokeCall(ref.name(), ByteString.copyFrom(payload), tail,
                    clientContext(request.header("x-amz-client-context")), null, ref.qualifierText()))
                    .thenApply(r -> answer(r, executedVersion(ref, r.getRevision()), tail));
        };
    }

    /**
     * {@code X-Amz-Executed-Version}: {@code $LATEST} when the call named no version, as Lambda answers;
     * else the revision that ran (an alias's routing may have picked either of its two).
     */
    static String executedVersion(FunctionRef ref, int revision) {
        return ref.qualified() ? Integer.toString(revision) : Qualifier.LATEST_NAME;
    }

    private static ApiResponse answer(InvokeResponse r, String version, boolean tail) {
        ApiResponse response = new ApiResponse(200, java.util.Map.of("Content-Type", "application/json"), r.getPayload().toByteArray())
                .withHeader("x-amzn-RequestId", r.getRequestId())
                .withHeader("X-Amz-Executed-Version", version);
        if (!r.getFunctionError().isEmpty()) {
            response = response.withHeader("X-Amz-Function-Error", r.getFunctionError());
        }
        if (tail) {
            response = response.withHeader("X-Amz-Log-Result", Base64.getEncoder().encodeToString(lastBytes(r.getLogTail())));
        }
        return response;
    }

    /** Refuses a payload over its invocation type's limit, or that is not JSON. */
    static void checkPayload(byte[] payload, Type type) {
        int limit = limit(type);
        if (payload.length > limit) {
            throw new FloeException(ErrorType.REQUEST_TOO_LARGE, "payload: " + payload.length + " bytes (expected: at most "
                    + limit + " for a" + (type == Type.EVENT ? "n asynchronous" : " synchronous") + " invocation)");
        }
        if (payload.length > 0) {
            // Lambda refuses an event that is not JSON before running anything.
            try {
                RequestBody.parseJson(payload, "Invoke payload");
            } catch (ApiError.ApiException e) {
                throw ApiError.user(400, "InvalidRequestContentException", e.error().message()).toException();
            }
        }
    }

    /** The payload limit of an invocation type, which the transport also applies before reading a body. */
    static int limit(Type type) {
        return type == Type.EVENT ? ASYNC_PAYLOAD_MAX_BYTES : FunctionLimits.PAYLOAD_MAX_BYTES;
    }

    static Type type(String header) {
        if (header == null || header.isEmpty() || header.equals("RequestResponse")) {
            return Type.REQUEST_RESPONSE;
        }
        return switch (header) {
            case "Event" -> Type.EVENT;
            case "DryRun" -> Type.DRY_RUN;
            default -> throw ApiError.invalid("X-Amz-Invocation-Type: \"" + header
                    + "\" (expected: RequestResponse, Event or DryRun)").toException();
        };
    }

    static boolean logType(String header) {
        if (header == null || header.isEmpty() || header.equals("None")) {
            return false;
        }
        if (header.equals("Tail")) {
            return true;
        }
        throw ApiError.invalid("X-Amz-Log-Type: \"" + header + "\" (expected: None or Tail)").toException();
    }

    /** The client context as the runtime gets it: the JSON the caller sent base64-encoded. */
    static String clientContext(String header) {
        if (header == null || header.isEmpty()) {
            return "";
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(header);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("X-Amz-Client-Context: not base64 (expected: base64 of a JSON object)").toException();
        }
        if (decoded.length > CLIENT_CONTEXT_MAX_BYTES) {
            throw ApiError.invalid("X-Amz-Client-Context: " + decoded.length + " bytes decoded (expected: at most "
                    + CLIENT_CONTEXT_MAX_BYTES + ")").toException();
        }
        RequestBody.parseJson(decoded, "X-Amz-Client-Context");
        return new String(decoded, StandardCharsets.UTF_8);
    }

    /** The last 4 KB of the log, cut at a character boundary. */
    static byte[] lastBytes(String log) {
        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= LOG_TAIL_BYTES) {
            return bytes;
        }
        int from = bytes.length - LOG_TAIL_BYTES;
        while (from < bytes.length && (bytes[from] & 0xC0) == 0x80) {
            from++;
        }
        return java.util.Arrays.copyOfRange(bytes, from, bytes.length);
    }
}
