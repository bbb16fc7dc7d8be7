package dev.floe.common;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;

/**
 * A refusal with a type and a message for the user. It crosses gRPC as a status whose description
 * is the message and whose trailers carry the type in {@code floe-error-type}.
 */
public final class FloeException extends RuntimeException {
    public static final Metadata.Key<String> ERROR_TYPE_KEY =
            Metadata.Key.of("floe-error-type", Metadata.ASCII_STRING_MARSHALLER);
    /** With a throttling error: how long the caller should wait before retrying, in milliseconds. */
    public static final Metadata.Key<String> RETRY_AFTER_KEY =
            Metadata.Key.of("floe-retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);
    /** With a throttling error: which limit was reached, as Lambda's TooManyRequestsException {@code Reason}. */
    public static final Metadata.Key<String> REASON_KEY =
            Metadata.Key.of("floe-error-reason", Metadata.ASCII_STRING_MARSHALLER);
    /** Lambda's {@code Reason} when a function's reserved concurrency is all in use. */
    public static final String RESERVED_CONCURRENCY_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded";
    /** Lambda's {@code Reason} when the account's (Floe: the fleet's) concurrency is all in use. */
    public static final String CONCURRENCY_REASON = "ConcurrentInvocationLimitExceeded";
    private static final long serialVersionUID = 1L;

    private final ErrorType type;
    private final Duration retryAfter;
    private final String reason;

    public FloeException(ErrorType type, String message) {
        this(type, message, (Throwable) null);
    }

    public FloeException(ErrorType type, String message, Throwable cause) {
        super(message, cause);
        this.type = type;
        this.retryAfter = null;
        this.reason = null;
    }

    /** A refusal that says when a retry may succeed, as Lambda's TooManyRequestsException does. */
    public FloeException(ErrorType type, String message, Duration retryAfter) {
        this(type, message, retryAfter, null);
    }

    /** A throttle that says when a retry may succeed and which limit it met (e.g. {@link #RESERVED_CONCURRENCY_REASON}). */
    public FloeException(ErrorType type, String message, Duration retryAfter, String reason) {
        super(message);
        this.type = type;
        this.retryAfter = Check.positive("retryAfter", retryAfter);
        this.reason = reason;
    }

    private FloeException(ErrorType type, String message, Throwable cause, Duration retryAfter, String reason) {
        super(message, cause);
        this.type = type;
        this.retryAfter = retryAfter;
        this.reason = reason;
    }

    public ErrorType type() {
        return type;
    }

    /** How long to wait before retrying, when the refusal says. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Which limit a throttle met, when it says. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    public StatusRuntimeException toStatus() {
        Metadata trailers = new Metadata();
        trailers.put(ERROR_TYPE_KEY, type.wireName());
        if (retryAfter != null) {
            trailers.put(RETRY_AFTER_KEY, Long.toString(retryAfter.toMillis()));
        }
        if (reason != null) {
            trailers.put(REASON_KEY, reason);
        }
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
        return new FloeException(type, message, failure, trailers == null ? null : retryAfter(trailers.get(RETRY_AFTER_KEY)),
                trailers == null ? null : trailers.get(REASON_KEY));
    }

    private static Duration retryAfter(String millis) {
        if (millis == null) {
            return null;
        }
        try {
            long ms = Long.parseLong(millis);
            return ms > 0 ? Duration.ofMillis(ms) : null;
        } catch (NumberFormatException e) {
            return null;
        }
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
