package dev.floe.worker.code;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.floe.common.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.stream.Stream;

/**
 * The worker's unpacked code packages, each in {@code <data>/code/<sha256>-<n>/}, fetched on first
 * use; concurrent cold starts of the same package share one fetch. When their unpacked sizes exceed
 * the capacity, the least recently used are deleted, but never one an environment holds a
 * {@link Lease} on: a leased package weighs nothing in the cache (Caffeine's way of pinning), and an
 * evicted one that was leased at that very moment is deleted when its last lease closes. A package
 * fetched again after eviction goes into a directory of its own, so a deletion never races an
 * unpacking. Packages outlive the worker process: a restarted worker finds them again.
 */
public final class CodeCache {
    private static final System.Logger LOG = System.getLogger(CodeCache.class.getName());

    private final Path dir;
    private final CodeSource source;
    private final PackageUnpacker unpacker;
    private final Executor executor;
    private final Map<String, CompletableFuture<Entry>> loading = new ConcurrentHashMap<>();
    private final Cache<String, Entry> entries;

    /**
     * @param capacityBytes the sum of the unpacked sizes of the packages no environment uses
     * @param permissions of the cache's directory: how far environments may reach into it (see
     *     {@code Sandbox.codeDirectoryPermissions})
     */
    public CodeCache(Path dir, CodeSource source, PackageUnpacker unpacker, long capacityBytes, Executor executor,
                     java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions) throws IOException {
        this.dir = Files.createDirectories(dir);
        Files.setPosixFilePermissions(this.dir, permissions);
        this.source = source;
        this.unpacker = unpacker;
        this.executor = executor;
        this.entries = Caffeine.newBuilder()
                .maximumWeight(Math.max(1, capacityBytes / 1024))
                .weigher((String sha, Entry e) -> e.weightKb())
                .executor(Runnable::run)
                .removalListener((String sha, Entry e, RemovalCause cause) -> {
                    if (e != null && cause.wasEvicted()) {
                        e.evict();
                    }
                })
                .build();
        index();
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
        Lease lease = cached == null ? null : cached.lease();
        if (lease != null) {
            return CompletableFuture.completedFuture(lease);
        }
        // Registered before the work starts: the work may finish at once, and must not update the map
        // from inside one of its own operations.
        CompletableFuture<Entry> mine = new CompletableFuture<>();
        CompletableFuture<Entry> load = loading.putIfAbsent(sha256, mine);
        if (load == null) {
            load = mine;
            // A load that finished between the lookup above and this registration has already left the
            // loading map: look in the cache again rather than fetch a second time.
            Entry loaded = entries.getIfPresent(sha256);
            CompletableFuture<Entry> work = loaded != null ? CompletableFuture.completedFuture(loaded) : fetch(sha256);
            work.whenComplete((entry, failure) -> {
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
            Lease fresh = entry.firstOrNewLease();
            return fresh != null ? CompletableFuture.completedFuture(fresh) : acquire(sha256);
        });
    }

    /** How many bytes of unpacked packages the cache keeps that no environment uses, about. */
    long unusedBytes() {
        entries.cleanUp();
        return entries.asMap().values().stream().mapToLong(e -> e.weightKb() * 1024L).sum();
    }

    private CompletableFuture<Entry> fetch(String sha) {
        String unique = sha + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path zip = dir.resolve(unique + ".zip.part");
        return source.fetch(sha, zip).thenApplyAsync(ignored -> {
            Path staging = dir.resolve(unique + ".unpacking");
            try {
                String actual = sha256(zip);
                if (!actual.equals(sha)) {
                    throw new IOException("package " + sha + " arrived with SHA-256 " + actual);
                }
                long size = unpacker.unpack(zip, staging);
                Path root = dir.resolve(unique);
                Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
                // Leased from birth, for the acquire that asked for it: a new entry weighing
                // something could be evicted on insertion (the cache admits by frequency).
                return new Entry(root, size, 1);
            } catch (IOException e) {
                throw new UncheckedIOException("unpacking package " + sha + ": " + e.getMessage(), e);
            } finally {
                try {
                    Files.deleteIfExists(zip);
                    FileTrees.delete(staging);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cleaning up after package " + sha + ": " + e);
                }
            }
        }, executor);
    }

    /** Finds the packages a previous run left, and removes what it left half done or twice. */
    private void index() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                String sha = name.length() > 64 ? name.substring(0, 64) : "";
                boolean complete = Files.isDirectory(p) && sha.matches("[0-9a-f]{64}") && name.charAt(64) == '-'
                        && !name.endsWith(".unpacking");
                if (!complete || entries.getIfPresent(sha) != null) {
                    FileTrees.delete(p);
                    continue;
                }
                try (Stream<Path> walk = Files.walk(p)) {
                    // Links are not followed: a package's links point inside it, and would count its files twice.
                    long size = walk.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                            .mapToLong(f -> f.toFile().length()).sum();
                    entries.put(sha, new Entry(p, size, 0));
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

    /** One unpacked package and the environments using it. */
    private final class Entry {
        private final Path root;
        private final long size;
        private int leases;
        private boolean evicted;
        private boolean deleted;
        private boolean firstLeaseTaken;

        Entry(Path root, long size, int leases) {
            this.root = root;
            this.size = size;
            this.leases = leases;
            this.firstLeaseTaken = leases == 0;
        }

        /** The lease the entry was created with, for the first taker; a new one for the others. */
        Lease firstOrNewLease() {
            synchronized (this) {
                if (!firstLeaseTaken) {
                    firstLeaseTaken = true;
                    return new EntryLease(this);
                }
            }
            return lease();
        }

        /** Leased packages weigh nothing: Caffeine never evicts them for size. */
        synchronized int weightKb() {
            return leases > 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.max(1, size / 1024));
        }

        /** A lease, or null if this package was evicted: the caller fetches it again. */
        Lease lease() {
            boolean first;
            synchronized (this) {
                if (evicted) {
                    return null;
                }
                first = leases++ == 0;
            }
            if (first) {
                reweigh();
            }
            return new EntryLease(this);
        }

        void release() {
            boolean last;
            boolean delete;
            synchronized (this) {
                last = --leases == 0;
                delete = last && evicted && !deleted;
                deleted |= delete;
            }
            if (delete) {
                deleteTree();
            } else if (last) {
                reweigh();
            }
        }

        void evict() {
            boolean delete;
            synchronized (this) {
                evicted = true;
                delete = leases == 0 && !deleted;
                deleted |= delete;
            }
            if (delete) {
                deleteTree();
            }
        }

        /** Tells the cache the weight changed, if it still maps this package's sha to this entry. */
        private void reweigh() {
            String sha = root.getFileName().toString().substring(0, 64);
            entries.asMap().computeIfPresent(sha, (k, v) -> v);
        }

        private void deleteTree() {
            try {
                FileTrees.delete(root);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove evicted package " + root + ": " + e);
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
