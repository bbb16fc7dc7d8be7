package dev.floe.worker.environment;

/**
 * What the caller asks of one invocation.
 *
 * @param clientContext passed to the runtime as {@code Lambda-Runtime-Client-Context}; may be empty
 * @param chunks where the pieces of a streamed response go as they arrive, on the environment's event
 *     loop; then the result's payload is empty unless the stream failed. Null: a streamed response is
 *     collected into the result's payload, as any other
 */
public record InvocationRequest(String requestId, byte[] payload, boolean tailLog, String clientContext,
                                ResponseStream chunks) {
    public InvocationRequest(String requestId, byte[] payload, boolean tailLog, String clientContext) {
        this(requestId, payload, tailLog, clientContext, null);
    }
}
