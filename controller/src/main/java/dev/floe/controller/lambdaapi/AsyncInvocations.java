package dev.floe.controller.lambdaapi;

import com.google.protobuf.ByteString;

/**
 * Where {@code Event} invocations go once the Lambda API has accepted them (202): the one seam
 * between the HTTP API and whatever runs them later: {@link QueuedInvocations}, the controller's
 * durable queue.
 */
public interface AsyncInvocations extends AutoCloseable {
    /**
     * Takes an invocation of an existing function, to run later the revision {@code qualifier} names
     * then ("" the latest); returns its request id. Throws a {@link dev.floe.common.FloeException}
     * ({@code TooManyRequestsException}, ...) when it cannot take it now.
     */
    String submit(String function, String qualifier, ByteString payload);

    /** Stops taking invocations; ones already taken may be dropped (this seam promises no durability). */
    @Override
    void close();
}
