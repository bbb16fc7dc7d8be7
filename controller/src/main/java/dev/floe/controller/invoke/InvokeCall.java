package dev.floe.controller.invoke;

import com.google.protobuf.ByteString;
import io.grpc.Deadline;

/**
 * One synchronous invocation as a caller asked for it.
 *
 * @param callerDeadline when the caller stops waiting; null if it set no deadline
 */
public record InvokeCall(String function, ByteString payload, boolean tailLog, String clientContext, Deadline callerDeadline) {
    public InvokeCall {
        payload = payload == null ? ByteString.EMPTY : payload;
        clientContext = clientContext == null ? "" : clientContext;
    }
}
