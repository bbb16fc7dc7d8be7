package dev.floe.controller.lambdaapi;

import com.google.protobuf.ByteString;
import dev.floe.controller.async.AsyncQueue;

/**
 * Event invocations into the controller's durable queue: {@link #submit} returns once the event is
 * committed to disk, so a 202 means it runs at least once, with Lambda's retries, or ends in the
 * function's dead-letter list. The id returned is the queue's ({@code floe invocation get ID}).
 */
public final class QueuedInvocations implements AsyncInvocations {
    private final AsyncQueue queue;

    public QueuedInvocations(AsyncQueue queue) {
        this.queue = queue;
    }

    @Override
    public String submit(String function, String qualifier, ByteString payload) {
        return queue.submit(function, qualifier, payload);
    }

    /** The queue belongs to the controller, which stops it. */
    @Override
    public void close() {}
}
