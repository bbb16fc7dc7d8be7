package dev.floe.worker.environment;

/**
 * What the caller asks of one invocation.
 *
 * @param clientContext passed to the runtime as {@code Lambda-Runtime-Client-Context}; may be empty
 */
public record InvocationRequest(String requestId, byte[] payload, boolean tailLog, String clientContext) {}
