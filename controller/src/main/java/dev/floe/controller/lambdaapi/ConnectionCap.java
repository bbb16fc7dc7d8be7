package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Lambda API's bound on open connections. A connection past it is closed as soon as it is accepted,
 * before anything is read from it, so a flood of connections costs the controller a socket for a moment
 * and leaves the connections it already serves alone. Refusals are logged, at most once a second with
 * their count, so a flood does not also flood the log.
 */
final class ConnectionCap {
    private static final System.Logger LOG = System.getLogger(ConnectionCap.class.getName());
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger refusedSinceLog = new AtomicInteger();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    ConnectionCap(int max) {
        this.max = Check.range("maxConnections", max, 1, 1_000_000);
    }

    /**
     * Counts a newly accepted connection until it closes, or, if {@code max} are open already, closes it
     * and returns false.
     */
    boolean admit(Channel channel) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            channel.close();
            refused(channel);
            return false;
        }
        channel.closeFuture().addListener(closed -> open.decrementAndGet());
        return true;
    }

    /** Connections counted now. */
    int open() {
        return open.get();
    }

    private void refused(Channel channel) {
        int refused = refusedSinceLog.incrementAndGet();
        long last = lastLogNanos.get();
        long now = System.nanoTime();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            refused = refusedSinceLog.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, "Lambda API: " + max + " connections open (the limit, --lambda-max-connections);"
                    + " closed " + refused + " new connection(s), the last from " + channel.remoteAddress());
        }
    }
}
