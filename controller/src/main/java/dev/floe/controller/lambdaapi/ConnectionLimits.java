package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import java.time.Duration;

/**
 * How long the Lambda API keeps a connection and how many it keeps, so that clients which connect and
 * go quiet, or send half a request and stop, cannot hold the controller's sockets for ever, and a few
 * client addresses cannot take every one.
 *
 * @param idleTimeout how long a connection with no request in progress stays open (after its last
 *     answer, or after it was accepted). A request being handled, such as an Invoke that runs for 15
 *     minutes, is never cut by it.
 * @param readTimeout how long a request that has started to arrive may take: its headers must be whole
 *     within this time of its first byte, and its body may pause at most this long between two reads.
 *     Past it the client gets a 408 and the connection is closed.
 * @param maxConnections open connections at most, from all addresses together (see {@link ConnectionCap}
 *     for which connection gives way when they are all taken).
 * @param maxConnectionsPerAddress open connections at most from one client address.
 */
public record ConnectionLimits(Duration idleTimeout, Duration readTimeout, int maxConnections, int maxConnectionsPerAddress) {
    /**
     * 60 s idle, as common HTTP servers keep a quiet keep-alive connection; 30 s to read a request;
     * 2,000 connections, twice the fleet's default concurrency, so that 1,000 synchronous invocations
     * waiting on their answers still leave room for other callers; a quarter of them per address, so
     * that it takes four addresses to hold them all.
     */
    public static final ConnectionLimits DEFAULT = new ConnectionLimits(Duration.ofSeconds(60), Duration.ofSeconds(30), 2_000);

    public ConnectionLimits {
        Check.positive("idleTimeout", idleTimeout);
        Check.positive("readTimeout", readTimeout);
        Check.range("maxConnections", maxConnections, 1, 1_000_000);
        Check.range("maxConnectionsPerAddress", maxConnectionsPerAddress, 1, maxConnections);
    }

    /** Limits with a quarter of {@code maxConnections} (at least one) per address. */
    public ConnectionLimits(Duration idleTimeout, Duration readTimeout, int maxConnections) {
        this(idleTimeout, readTimeout, maxConnections, perAddress(maxConnections));
    }

    private static int perAddress(int maxConnections) {
        return Math.max(1, maxConnections / 4);
    }

    public ConnectionLimits withIdleTimeout(Duration idleTimeout) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections, maxConnectionsPerAddress);
    }

    public ConnectionLimits withReadTimeout(Duration readTimeout) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections, maxConnectionsPerAddress);
    }

    /** With {@code maxConnections} in total and a quarter of them (at least one) per address. */
    public ConnectionLimits withMaxConnections(int maxConnections) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections);
    }

    public ConnectionLimits withMaxConnectionsPerAddress(int maxConnectionsPerAddress) {
        return new ConnectionLimits(idleTimeout, readTimeout, maxConnections, maxConnectionsPerAddress);
    }
}
