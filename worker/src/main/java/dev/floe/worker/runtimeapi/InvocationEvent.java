package dev.floe.worker.runtimeapi;

/**
 * An invocation as the runtime receives it: the event as the body, the rest as Lambda's headers.
 *
 * @param clientContext sent as Lambda-Runtime-Client-Context when not empty
 * @param cognitoIdentity sent as Lambda-Runtime-Cognito-Identity when not empty
 */
public record InvocationEvent(
        String requestId,
        long deadlineEpochMs,
        String invokedFunctionArn,
        String traceId,
        String clientContext,
        String cognitoIdentity,
        byte[] payload) {}
