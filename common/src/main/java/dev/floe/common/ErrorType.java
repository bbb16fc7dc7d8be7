package dev.floe.common;

import io.grpc.Status;

/**
 * Why Floe refused or could not run a request. The names are Lambda's error types where Lambda has
 * one, so a user who knows Lambda knows what to do; each maps to the gRPC status code a generic
 * client can act on (retry or not).
 */
public enum ErrorType {
    INVALID_PARAMETER("InvalidParameterValueException", Status.Code.INVALID_ARGUMENT),
    REQUEST_TOO_LARGE("RequestTooLargeException", Status.Code.INVALID_ARGUMENT),
    RESOURCE_NOT_FOUND("ResourceNotFoundException", Status.Code.NOT_FOUND),
    RESOURCE_CONFLICT("ResourceConflictException", Status.Code.ALREADY_EXISTS),
    /** The thing changed since the caller read it (Lambda's RevisionId check); read it again and retry. */
    PRECONDITION_FAILED("PreconditionFailedException", Status.Code.FAILED_PRECONDITION),
    /** The call did not carry the cluster's token (see {@link ClusterToken}). */
    UNAUTHENTICATED("UnrecognizedClientException", Status.Code.UNAUTHENTICATED),
    /** The fleet has no room for the invocation now; retrying later may succeed. */
    TOO_MANY_REQUESTS("TooManyRequestsException", Status.Code.RESOURCE_EXHAUSTED),
    /** A worker has no room for one more environment; the controller places the invocation elsewhere. */
    WORKER_FULL("WorkerFullException", Status.Code.RESOURCE_EXHAUSTED),
    /** No worker can be reached, or the one running the invocation was lost; retrying may succeed. */
    /**
     * Between controller and worker only: the warm environment an invocation was placed on is gone
     * (retired or taken meanwhile); the controller places the invocation again.
     */
    ENVIRONMENT_GONE("EnvironmentGoneException", Status.Code.FAILED_PRECONDITION),
    SERVICE_UNAVAILABLE("ServiceUnavailableException", Status.Code.UNAVAILABLE),
    SERVICE("ServiceException", Status.Code.INTERNAL);

    private final String wireName;
    private final Status.Code code;

    ErrorType(String wireName, Status.Code code) {
        this.wireName = wireName;
        this.code = code;
    }

    /** The name users see, e.g. {@code ResourceNotFoundException}. */
    public String wireName() {
        return wireName;
    }

    public Status.Code code() {
        return code;
    }

    public static ErrorType fromWireName(String name, Status.Code fallbackCode) {
        for (ErrorType type : values()) {
            if (type.wireName.equals(name)) {
                return type;
            }
        }
        return switch (fallbackCode) {
            case INVALID_ARGUMENT -> INVALID_PARAMETER;
            case NOT_FOUND -> RESOURCE_NOT_FOUND;
            case ALREADY_EXISTS -> RESOURCE_CONFLICT;
            case UNAUTHENTICATED, PERMISSION_DENIED -> UNAUTHENTICATED;
            case RESOURCE_EXHAUSTED -> TOO_MANY_REQUESTS;
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> SERVICE_UNAVAILABLE;
            default -> SERVICE;
        };
    }
}
