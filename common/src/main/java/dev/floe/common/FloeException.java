package dev.floe.common;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A refusal with a type and a message for the user. It crosses gRPC as a status whose description
 * is the message and whose trailers carry the type in {@code floe-error-type}.
 */
public final class FloeException extends RuntimeException {
    public static final Metadata.Key<String> ERROR_TYPE_KEY =
            Metadata.Key.of("floe-error-type", Metadata.ASCII_STRING_MARSHALLER);
    private static final long serialVersionUID = 1L;

    private final ErrorType type;

    public FloeException(ErrorType type, String message) {
        super(message);
        this.type = type;
    }

    public FloeException(ErrorType type, String message, Throwable cause) {
        super(message, cause);
        this.type = type;
    }

    public ErrorType type() {
        return type;
    }

    public StatusRuntimeException toStatus() {
        Metadata trailers = new Metadata();
        trailers.put(ERROR_TYPE_KEY, type.wireName());
        return Status.fromCode(type.code()).withDescription(getMessage()).asRuntimeException(trailers);
    }

    /**
     * Reads a failed call back into a FloeException: the type from the trailers when a Floe server
     * set it, else one derived from the status code (connection refused, deadline, ...).
     */
    public static FloeException fromThrowable(Throwable failure) {
        if (failure instanceof FloeException floe) {
            return floe;
        }
        Status status = Status.fromThrowable(failure);
        Metadata trailers = Status.trailersFromThrowable(failure);
        String wireName = trailers == null ? null : trailers.get(ERROR_TYPE_KEY);
        ErrorType type = ErrorType.fromWireName(wireName, status.getCode());
        String message = status.getDescription();
        if (message == null || message.isBlank()) {
            message = describe(status);
        }
        return new FloeException(type, message, failure);
    }

    private static String describe(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE -> "unavailable"
                    + (status.getCause() == null ? "" : ": " + status.getCause().getMessage());
            case DEADLINE_EXCEEDED -> "the call's deadline passed before an answer came";
            case CANCELLED -> "the call was cancelled";
            default -> status.getCode().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
    }
}
