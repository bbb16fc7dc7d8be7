package dev.floe.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's {@code etcd-server}) for tests: one member on loopback ports, its data in a
 * temporary directory, killed and deleted by {@link #close()}. {@code .ci/run} installs etcd when missing;
 * where it is not installed, {@link #start()} fails saying so.
 */
public final class EtcdProcess implements AutoCloseable {
    /** What test processes carry in their command line, for {@link Processes#assertNoneLeft}. */
    public static final String MARKER = "floe-test-etcd";

    private final Process process;
    private final Path dir;
    private final int clientPort;
    private final int peerPort;

    private EtcdProcess(Process process, Path dir, int clientPort, int peerPort) {
        this.process = process;
        this.dir = dir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
    }

    /** The etcd binary: {@code FLOE_ETCD} if set, else {@code etcd} on the PATH or in /usr/bin. */
    public static String binary() {
        String configured = System.getenv("FLOE_ETCD");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "etcd"))) {
                return Path.of(dir, "etcd").toString();
            }
        }
        throw new AssertionError("etcd is not installed (expected: Debian's etcd-server, which .ci/run installs, or FLOE_ETCD=/path/to/etcd)");
    }

    public static EtcdProcess start() {
        return start(1024);
    }

    /** With etcd's limit on operations per transaction at {@code maxTxnOps} (etcd's own default is 128). */
    public static EtcdProcess start(int maxTxnOps) {
        Path dir = TestDirs.create(MARKER);
        try {
            int client = freePort();
            int peer = freePort();
            ProcessBuilder pb = new ProcessBuilder(binary(),
                    "--name", MARKER,
                    "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", "http://127.0.0.1:" + client,
                    "--advertise-client-urls", "http://127.0.0.1:" + client,
                    "--listen-peer-urls", "http://127.0.0.1:" + peer,
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                    "--initial-cluster", MARKER + "=http://127.0.0.1:" + peer,
                    // Floe's batches of asynchronous invocations: many keys in one transaction.
                    "--max-txn-ops", Integer.toString(maxTxnOps),
                    // Tests fsync little; speed over durability on a shared test machine.
                    "--unsafe-no-fsync",
                    "--log-level", "warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile());
            Process process = pb.start();
            EtcdProcess etcd = new EtcdProcess(process, dir, client, peer);
            try {
                Await.until(Duration.ofSeconds(30), "etcd accepting connections on 127.0.0.1:" + client
                        + " (log: " + dir.resolve("etcd.log") + ")", () -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("etcd exited: " + etcd.log());
                    }
                    return accepts(client);
                });
                return etcd;
            } catch (RuntimeException | Error e) {
                etcd.close();
                throw e;
            }
        } catch (IOException e) {
            TestDirs.delete(dir);
            throw new AssertionError("could not start etcd: " + e.getMessage(), e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + clientPort);
    }

    public List<URI> endpoints() {
        return List.of(endpoint());
    }

    public long pid() {
        return process.pid();
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("etcd.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        TestDirs.delete(dir);
    }
}
