package dev.floe.controller.invoke;

import com.google.protobuf.ByteString;
import io.grpc.Deadline;

/**
 * One synchronous invocation as a caller asked for it.
 *
 * @param callerDeadline when the caller stops waiting; null if it set no deadline
 * @param qualifier which revision runs ({@link dev.floe.controller.function.Qualifier}): "" the latest
 */
public record InvokeCall(String function, ByteString payload, boolean tailLog, String clientContext, Deadline callerDeadline,
        String qualifier) {
    public InvokeCall {
        payload = payload == null ? ByteString.EMPTY : payload;
        clientContext = clientContext == null ? "" : clientContext;
        qualifier = qualifier == null ? "" : qualifier;
    }

    /** An invocation of the latest revision. */
    public InvokeCall(String function, ByteString payload, boolean tailLog, String clientContext, Deadline callerDeadline) {
        this(function, payload, tailLog, clientContext, callerDeadline, "");
    }
}
