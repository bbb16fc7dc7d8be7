package dev.floe.worker.runtimeapi;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Who may talk to an environment's Runtime API endpoint. Every environment runs as a user of its own,
 * so the kernel's record of who owns the connecting socket says whether it is one of the
 * environment's processes: anything else on the machine (another environment included) is refused.
 */
public interface PeerCheck {
    /** Whether the connection from {@code peer} to {@code local} may use the endpoint. */
    boolean allows(InetSocketAddress peer, InetSocketAddress local) throws IOException;

    /** Whether {@link #allows} reads from the kernel, so callers run it off their event loop. */
    default boolean blocking() {
        return true;
    }

    /** No check: where environments share the worker's user (no privilege to give them their own). */
    static PeerCheck anyone() {
        return new PeerCheck() {
            @Override
            public boolean allows(InetSocketAddress peer, InetSocketAddress local) {
                return true;
            }

            @Override
            public boolean blocking() {
                return false;
            }
        };
    }

    /**
     * Only sockets owned by {@code uid}, as {@code /proc/net/tcp} records them, or {@code /proc/net/tcp6}
     * for a client on a dual-stack IPv6 socket (the JVM's default), whose IPv4 address is mapped there.
     */
    static PeerCheck socketOwner(long uid) {
        return (peer, local) -> {
            if (!(peer.getAddress() instanceof Inet4Address) || !(local.getAddress() instanceof Inet4Address)) {
                return false;
            }
            return ownedBy(uid, Path.of("/proc/net/tcp"), " " + hex(peer) + " " + hex(local) + " ")
                    || ownedBy(uid, Path.of("/proc/net/tcp6"), " " + mappedHex(peer) + " " + mappedHex(local) + " ");
        };
    }

    private static boolean ownedBy(long uid, Path table, String connection) throws IOException {
        if (!Files.exists(table)) {
            return false;
        }
        {
            for (String line : Files.readAllLines(table)) {
                if (line.contains(connection)) {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    String[] fields = line.trim().split("\\s+");
                    return fields.length > 7 && Long.parseLong(fields[7]) == uid;
                }
            }
            return false;
        }
    }

    /** An IPv4 socket address mapped into IPv6 (::ffff:a.b.c.d) as /proc/net/tcp6 writes it: four host-order words. */
    private static String mappedHex(InetSocketAddress address) {
        return "0000000000000000FFFF0000" + hex(address);
    }

    /** An IPv4 socket address as /proc/net/tcp writes it: the address as a little-endian word, then the port. */
    private static String hex(InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        int word = (ip[3] & 0xff) << 24 | (ip[2] & 0xff) << 16 | (ip[1] & 0xff) << 8 | (ip[0] & 0xff);
        return String.format(Locale.ROOT, "%08X:%04X", word, address.getPort());
    }
}
