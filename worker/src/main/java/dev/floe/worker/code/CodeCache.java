package dev.floe.worker.code;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The worker's unpacked code packages under {@code <data>/code/<sha256>/}, fetched on first use.
 * Concurrent cold starts of the same package share one fetch. Packages are evicted, least recently
 * used first, when their unpacked sizes exceed the cache's capacity, but never while an environment
 * holds a {@link Lease} on them. Packages outlive the worker process: a restarted worker reuses them.
 */
public final class CodeCache {
    private static final System.Logger LOG = System.getLogger(CodeCache.class.getName());

    private final Path dir;
    private final CodeSource source;
    private final PackageUnpacker unpacker;
    private final Executor executor;
    private final Map<String, CompletableFuture<Entry>> loading = new ConcurrentHashMap<>();
    private final Cache<String, Entry> entries;

    public CodeCache(Path dir, CodeSource source, PackageUnpacker unpacker, long capacityBytes, Executor executor)
            throws IOException {
        this.dir = Files.createDirectories(dir);
        // Environments reach their own package through its mount; none may list the others.
        Files.setPosixFilePermissions(this.dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        this.source = source;
        this.unpacker = unpacker;
        this.executor = executor;
        this.entries = Caffeine.newBuilder()
                .maximumWeight(capacityBytes)
                .weigher((String sha, Entry e) -> (int) Math.min(Integer.MAX_VALUE, Math.max(1, e.size / 1024)))
                .executor(Runnable::run)
                .removalListener((String sha, Entry e, RemovalCause cause) -> {
                    if (e != null && cause.wasEvicted()) {
                        e.evict();
                    }
                })
                .build();
        removeIncomplete();
    }

    /** Held by an environment while it runs from a package; the package stays on disk until every lease is closed. */
    public interface Lease extends AutoCloseable {
        Path root();

        @Override
        void close();
    }

    /** The unpacked package, fetched and unpacked first if this worker does not have it. */
    public CompletableFuture<Lease> acquire(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("sha256: \"" + sha256 + "\" (expected: 64 hex digits)"));
        }
        Entry cached = entries.getIfPresent(sha256);
        if (cached != null) {
            Lease lease = cached.lease();
            if (lease != null) {
                return CompletableFuture.completedFuture(lease);
            }
        }
        // Registered before the work starts: the work may finish at once, and must not update the map
        // from inside one of its own operations.
        CompletableFuture<Entry> mine = new CompletableFuture<>();
        CompletableFuture<Entry> load = loading.putIfAbsent(sha256, mine);
        if (load == null) {
            load = mine;
            CompletableFuture.supplyAsync(() -> existing(sha256), executor)
                    .thenCompose(found -> found != null ? CompletableFuture.completedFuture(found) : fetch(sha256))
                    .whenComplete((entry, failure) -> {
                        if (entry != null) {
                            entries.put(sha256, entry);
                        }
                        loading.remove(sha256, mine);
                        if (failure != null) {
                            mine.completeExceptionally(failure);
                        } else {
                            mine.complete(entry);
                        }
                    });
        }
        return load.thenCompose(entry -> {
            Lease lease = entry.lease();
            return lease != null ? CompletableFuture.completedFuture(lease) : acquire(sha256);
        });
    }

    private Entry existing(String sha) {
        Path root = dir.resolve(sha);
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            long size = walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            return new Entry(root, size);
        } catch (IOException e) {
            return null;
        }
    }

    private CompletableFuture<Entry> fetch(String sha) {
        Path zip = dir.resolve(sha + ".zip.part");
        return source.fetch(sha, zip).thenApplyAsync(ignored -> {
            Path staging = dir.resolve(sha + ".unpacking");
            try {
                String actual = sha256(zip);
                if (!actual.equals(sha)) {
                    throw new IOException("package " + sha + " arrived with SHA-256 " + actual);
                }
                deleteTree(staging);
                long size = unpacker.unpack(zip, staging);
                Path root = dir.resolve(sha);
                Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
                return new Entry(root, size);
            } catch (IOException e) {
                throw new UncheckedIOException("unpacking package " + sha + ": " + e.getMessage(), e);
            } finally {
                try {
                    Files.deleteIfExists(zip);
                    deleteTree(staging);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cleaning up after package " + sha + ": " + e);
                }
            }
        }, executor);
    }

    private void removeIncomplete() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".part") || name.endsWith(".unpacking")) {
                    deleteTree(p);
                }
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a tree, making read-only directories writable first (packages are unpacked read-only). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isDirectory(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
                }
            }
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One unpacked package and the environments using it. */
    private static final class Entry {
        private final Path root;
        private final long size;
        /** Leases held; -1 once evicted and deleted, after which no lease is given. */
        private final AtomicInteger leases = new AtomicInteger();
        private volatile boolean evicted;

        Entry(Path root, long size) {
            this.root = root;
            this.size = size;
        }

        Lease lease() {
            while (true) {
                int n = leases.get();
                if (n < 0 || evicted) {
                    return null;
                }
                if (leases.compareAndSet(n, n + 1)) {
                    return new EntryLease(this);
                }
            }
        }

        void release() {
            if (leases.decrementAndGet() == 0 && evicted) {
                deleteIfUnused();
            }
        }

        void evict() {
            evicted = true;
            deleteIfUnused();
        }

        private void deleteIfUnused() {
            if (leases.compareAndSet(0, -1)) {
                try {
                    deleteTree(root);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove evicted package " + root + ": " + e);
                }
            }
        }
    }

    private static final class EntryLease implements Lease {
        private final Entry entry;
        private boolean closed;

        EntryLease(Entry entry) {
            this.entry = entry;
        }

        @Override
        public Path root() {
            return entry.root;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                entry.release();
            }
        }
    }
}
