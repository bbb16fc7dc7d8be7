package dev.floe.controller.lambdaapi;

import com.google.gson.JsonObject;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A refusal as Lambda answers it: an HTTP status, the error type the SDKs map to their typed
 * exceptions (sent in {@code X-Amzn-ErrorType}), whether the caller or the service is at fault, and a
 * message. The body is {@code {"Type":"User","message":"..."}}, the shape Lambda returns, with a
 * throttle's {@code Reason} (which limit it met) as Lambda's TooManyRequestsException has it.
 *
 * @param reason a throttle's reason, else null
 */
public record ApiError(int status, String type, boolean userFault, String message, String reason) {
    private static final System.Logger LOG = System.getLogger(ApiError.class.getName());

    static final String INVALID_SIGNATURE = "InvalidSignatureException";
    static final String UNRECOGNIZED_CLIENT = "UnrecognizedClientException";
    static final String PRECONDITION_FAILED = "PreconditionFailedException";
    static final String UNKNOWN_OPERATION = "UnknownOperationException";

    public ApiError(int status, String type, boolean userFault, String message) {
        this(status, type, userFault, message, null);
    }

    static ApiError user(int status, String type, String message) {
        return new ApiError(status, type, true, message);
    }

    static ApiError invalid(String message) {
        return user(400, ErrorType.INVALID_PARAMETER.wireName(), message);
    }

    /** The error for any failure: a Floe refusal by its type; anything else a logged {@code ServiceException}. */
    static ApiError of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException api) {
            return api.error();
        }
        if (!(t instanceof FloeException) && !(t instanceof io.grpc.StatusRuntimeException)) {
            LOG.log(System.Logger.Level.ERROR, "unexpected failure while handling a Lambda API request", t);
            return new ApiError(500, ErrorType.SERVICE.wireName(), false, "the controller failed to handle the request ("
                    + t.getClass().getSimpleName() + "); see the controller's log");
        }
        FloeException floe = FloeException.fromThrowable(t);
        return switch (floe.type()) {
            case INVALID_PARAMETER -> invalid(floe.getMessage());
            case REQUEST_TOO_LARGE -> user(413, floe.type().wireName(), floe.getMessage());
            case RESOURCE_NOT_FOUND -> user(404, floe.type().wireName(), floe.getMessage());
            case RESOURCE_CONFLICT -> user(409, floe.type().wireName(), floe.getMessage());
            case PRECONDITION_FAILED -> user(412, floe.type().wireName(), floe.getMessage());
            case UNAUTHENTICATED -> user(403, floe.type().wireName(), floe.getMessage());
            case TOO_MANY_REQUESTS, WORKER_FULL -> new ApiError(429, ErrorType.TOO_MANY_REQUESTS.wireName(), true, floe.getMessage(),
                    floe.reason().orElse(null));
            // Lambda has no "unavailable" type: a ServiceException with 503, which the SDKs retry.
            case SERVICE_UNAVAILABLE, ENVIRONMENT_GONE -> new ApiError(503, ErrorType.SERVICE.wireName(), false, floe.getMessage());
            case SERVICE -> new ApiError(500, ErrorType.SERVICE.wireName(), false, floe.getMessage());
        };
    }

    ApiResponse toResponse() {
        JsonObject body = new JsonObject();
        body.addProperty("Type", userFault ? "User" : "Service");
        body.addProperty("message", message);
        if (reason != null) {
            body.addProperty("Reason", reason);
        }
        ApiResponse response = ApiResponse.json(status, body).withHeader("X-Amzn-ErrorType", type);
        return status == 429 ? response.withHeader("Retry-After", "1") : response;
    }

    ApiException toException() {
        return new ApiException(this);
    }

    /** Carries an {@link ApiError} out of parsing code that cannot return one. */
    static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient ApiError error;

        ApiException(ApiError error) {
            super(error.type() + ": " + error.message(), null, false, false);
            this.error = error;
        }

        ApiError error() {
            return error;
        }
    }
}
