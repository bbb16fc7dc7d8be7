package dev.floe.worker.runtimeapi;

/**
 * What an environment answers on its Runtime API endpoint. Every method is called on the
 * environment's event loop.
 */
public interface RuntimeEndpoint {
    /** {@code GET /runtime/invocation/next}: deliver now, or keep {@code waiter} until an invocation comes. */
    void next(NextWaiter waiter);

    /** {@code POST /runtime/invocation/{id}/response}. */
    Reply response(String requestId, byte[] body);

    /** {@code POST /runtime/invocation/{id}/error}; {@code errorType} from the Lambda-Runtime-Function-Error-Type header, may be empty. */
    Reply error(String requestId, String errorType, byte[] body);

    /** {@code POST /runtime/init/error}. */
    Reply initError(String errorType, byte[] body);

    /** A response or error body for {@code requestId} was over the size limit; the runtime gets 413. */
    void responseTooLarge(String requestId, long limitBytes);

    /**
     * Whether a response or error for {@code requestId} would be accepted now; the server discards
     * the bodies of others as they arrive instead of buffering them.
     */
    default boolean expects(String requestId) {
        return true;
    }

    /** Whether an {@code init/error} would be accepted now (only during the init phase). */
    default boolean expectsInitError() {
        return true;
    }

    /**
     * A streamed response to {@code requestId} began ({@code Lambda-Runtime-Function-Response-Mode: streaming});
     * {@code reads} pauses and resumes reading its body, for a reader slower than the function.
     */
    default void streamStarted(String requestId, ReadGate reads) {}

    /**
     * A piece of a streamed response: what one read of the connection brought of its body, however the
     * runtime framed its chunks (pieces read before a pause still arrive). The array is the endpoint's.
     */
    default void streamChunk(String requestId, byte[] chunk) {}

    /**
     * The end of a streamed response; {@code errorType} (may be empty) and {@code errorBody} from its
     * trailers when it failed after it began.
     */
    default Reply streamEnded(String requestId, String errorType, byte[] errorBody) {
        return Reply.badRequest("InvalidRequest", "this endpoint does not take streamed responses");
    }

    /** A parked {@code next} whose connection closed. */
    default void waiterGone(NextWaiter waiter) {}
}
