package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import java.time.Duration;

/**
 * How long the Lambda API keeps a connection and how many it keeps, so that clients which connect and
 * go quiet, or send half a request and stop, cannot hold the controller's sockets for ever.
 *
 * @param idleTimeout how long a connection with no request in progress stays open (after its last
 *     answer, or after it was accepted). A request being handled, such as an Invoke that runs for 15
 *     minutes, is never cut by it.
 * @param readTimeout how long a request that has started to arrive may take: its headers must be whole
 *     within this time of its first byte, and its body may pause at most this long between two reads.
 *     Past it the client gets a 408 and the connection is closed.
 * @param maxConnections open connections at most; past it a new connection is closed as soon as it is
 *     accepted, while the others keep working.
 */
public record ConnectionLimits(Duration idleTimeout, Duration readTimeout, int maxConnections) {
    /**
     * 60 s idle, as common HTTP servers keep a quiet keep-alive connection; 30 s to read a request;
     * 2,000 connections, twice the fleet's default concurrency, so that 1,000 synchronous invocations
     * waiting on their answers still leave room for other callers.
     */
    public static final ConnectionLimits DEFAULT = new ConnectionLimits(Duration.ofSeconds(60), Duration.ofSeconds(30), 2_000);

    public ConnectionLimits {
        Check.positive("idleTimeout", idleTimeout);
        Check.positive("readTimeout", readTimeout);
        Check.range("maxConnections", maxConnections, 1, 1_000_000);
    }

    public ConnectionLimits withIdleTimeout(Duration idleTimeout) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections);
    }

    public ConnectionLimits withReadTimeout(Duration readTimeout) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections);
    }

    public ConnectionLimits withMaxConnections(int maxConnections) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections);
    }
}
