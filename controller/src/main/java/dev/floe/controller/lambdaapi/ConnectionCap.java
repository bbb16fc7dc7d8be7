package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Lambda API's bound on open connections: at most {@code max} in all and {@code maxPerAddress} from
 * one client address, counted from the moment a connection is accepted, before anything is read from it.
 *
 * <p>A connection is <em>untrusted</em> until a request on it has shown it may be served: when keys are
 * required, a request whose signature names a configured key (checked before its body is read, see
 * {@link RequestGate}); without keys, any request. When a new connection finds no room, it takes the
 * place of the oldest untrusted connection (from its own address when that address is at its limit,
 * else from the address holding the most connections), which is closed; only when there is none is the
 * new one closed instead. So code that opens connections and sends nothing, or sends no valid signature
 * (a function on the same machine shares its address with the user), cannot keep anyone out: its
 * connections give way to the next comer, while a client's working connections are never taken. Refusals
 * and evictions are logged at most once a second with their count.
 */
final class ConnectionCap {
    private static final System.Logger LOG = System.getLogger(ConnectionCap.class.getName());
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AttributeKey<Slot> SLOT = AttributeKey.valueOf("floe-connection-slot");

    /** One counted connection: its address, whether it is trusted, and whether it still counts. */
    private static final class Slot {
        final Channel channel;
        final InetAddress address;
        boolean trusted;
        boolean counted = true;

        Slot(Channel channel, InetAddress address) {
            this.channel = channel;
            this.address = address;
        }
    }

    /** One address's connections; the untrusted ones oldest first. */
    private static final class Holder {
        int count;
        final LinkedHashSet<Slot> untrusted = new LinkedHashSet<>();
    }

    private final int max;
    private final int maxPerAddress;
    private final Map<InetAddress, Holder> holders = new HashMap<>();
    private int open;
    private int refusedSinceLog;
    private int evictedSinceLog;
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    ConnectionCap(int max, int maxPerAddress) {
        this.max = Check.range("maxConnections", max, 1, 1_000_000);
        this.maxPerAddress = Check.range("maxConnectionsPerAddress", maxPerAddress, 1, max);
    }

    /**
     * Counts a newly accepted connection until it closes, making room by closing an untrusted one if
     * needed; or, if there is none to close, closes the new connection and returns false.
     */
    boolean admit(Channel channel) {
        InetAddress address = channel.remoteAddress() instanceof InetSocketAddress socket ? socket.getAddress() : null;
        Slot slot = new Slot(channel, address);
        Slot victim = null;
        boolean admitted;
        synchronized (this) {
            Holder own = holders.get(address);
            int ownCount = own == null ? 0 : own.count;
            if (ownCount >= maxPerAddress) {
                victim = own.untrusted.isEmpty() ? null : own.untrusted.getFirst();
            } else if (open >= max) {
                victim = oldestUntrustedOfTheLargest();
            }
            admitted = victim != null || (ownCount < maxPerAddress && open < max);
            if (victim != null) {
                release(victim);
                evictedSinceLog++;
            }
            Holder holder = holders.computeIfAbsent(address, a -> new Holder());
            if (admitted) {
                holder.count++;
                holder.untrusted.add(slot);
                open++;
            } else {
                refusedSinceLog++;
                if (holder.count == 0) {
                    holders.remove(address);
                }
            }
        }
        if (victim != null) {
            victim.channel.close();
        }
        if (!admitted) {
            channel.close();
            log(channel);
            return false;
        }
        channel.attr(SLOT).set(slot);
        channel.closeFuture().addListener(closed -> {
            synchronized (this) {
                release(slot);
            }
        });
        if (victim != null) {
            log(channel);
        }
        return true;
    }

    /** The connection has shown it may be served: it no longer gives way to new ones. */
    void trust(Channel channel) {
        Slot slot = channel.attr(SLOT).get();
        if (slot == null) {
            return;
        }
        synchronized (this) {
            if (slot.counted && !slot.trusted) {
                slot.trusted = true;
                Holder holder = holders.get(slot.address);
                if (holder != null) {
                    holder.untrusted.remove(slot);
                }
            }
        }
    }

    /** Connections counted now. */
    synchronized int open() {
        return open;
    }

    /** Stops counting {@code slot}; under the lock. */
    private void release(Slot slot) {
        if (!slot.counted) {
            return;
        }
        slot.counted = false;
        open--;
        Holder holder = holders.get(slot.address);
        if (holder != null) {
            holder.untrusted.remove(slot);
            if (--holder.count == 0) {
                holders.remove(slot.address);
            }
        }
    }

    /** Under the lock: the oldest untrusted connection of the address holding the most connections that has one. */
    private Slot oldestUntrustedOfTheLargest() {
        Holder largest = null;
        for (Holder holder : holders.values()) {
            if (!holder.untrusted.isEmpty() && (largest == null || holder.count > largest.count)) {
                largest = holder;
            }
        }
        return largest == null ? null : largest.untrusted.getFirst();
    }

    private void log(Channel channel) {
        long last = lastLogNanos.get();
        long now = System.nanoTime();
        if (now - last < LOG_INTERVAL_NANOS || !lastLogNanos.compareAndSet(last, now)) {
            return;
        }
        int refused;
        int evicted;
        synchronized (this) {
            refused = refusedSinceLog;
            evicted = evictedSinceLog;
            refusedSinceLog = 0;
            evictedSinceLog = 0;
        }
        LOG.log(System.Logger.Level.WARNING, "Lambda API: connections at their limit (" + max + " in all, " + maxPerAddress
                + " per address: --lambda-max-connections, --lambda-max-connections-per-address); closed " + evicted
                + " connection(s) that had sent no request it could serve to admit new ones, and refused " + refused
                + ", the last from " + channel.remoteAddress());
    }
}
