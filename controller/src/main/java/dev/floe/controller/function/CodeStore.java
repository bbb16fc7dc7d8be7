package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Code packages as content-addressed files, {@code <dir>/<sha256>.zip}: identical code is stored
 * once, and a worker asks for a package by the hash it already knows from the revision. A package is
 * written to a temporary file, synced, checked, then renamed into place, so a crash never leaves a
 * partial file under a package's name.
 */
public final class CodeStore {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String PART = ".part";

    /** Packages received or checked at once: half the cores, at least one (see {@link #withSlot}). */
    static final int SLOTS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    private static final ThreadLocal<Boolean> HOLDS_SLOT = ThreadLocal.withInitial(() -> false);

    private final Path dir;
    private final PackageInspector inspector;
    private final java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(SLOTS, true);

    public CodeStore(Path dir) throws IOException {
        this(dir, new PackageInspector());
    }

    CodeStore(Path dir, PackageInspector inspector) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.inspector = inspector;
        removeLeftovers();
    }

    /**
     * The most code the store can hold: what it holds plus the space its disk has free. Floe sets no
     * quota of its own on code, so this is the real limit.
     */
    public long capacityBytes(long held) {
        try {
            return held + Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading the free space of " + dir + ": " + e.getMessage(), e);
        }
    }

    public static boolean isSha256(String text) {
        return text != null && SHA256.matcher(text).matches();
    }

    /** Writes a package's bytes, e.g. as they are decoded from a request. */
    @FunctionalInterface
    public interface ZipSource {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A package in a temporary file, hashed as it was written, not yet stored under its hash; it must be
     * {@link #check checked} before it is committed. Closing it discards it unless committed.
     */
    public final class Staged implements AutoCloseable {
        private final Path temp;
        private final String sha256;
        private final long size;
        private boolean checked;
        private boolean committed;

        private Staged(Path temp, String sha256, long size) {
            this.temp = temp;
            this.sha256 = sha256;
            this.size = size;
        }

        public String sha256() {
            return sha256;
        }

        public long size() {
            return size;
        }

        /**
         * Checks that the package is one every worker can unpack (and has a {@code bootstrap} when
         * {@code bootstrap}); throws {@link ErrorType#INVALID_PARAMETER} if not.
         */
        public Staged check(boolean bootstrap) {
            withSlot(() -> {
                inspector.inspect(temp, bootstrap);
                return null;
            });
            checked = true;
            return this;
        }

        /** Stores the package under its hash; if an identical one is stored already, keeps that one. */
        public void commit() {
            if (!checked) {
                throw new IllegalStateException("code package " + sha256 + ": not checked (expected: check() before commit())");
            }
            Path target = path(sha256);
            try {
                if (Files.exists(target)) {
                    Files.deleteIfExists(temp);
                } else {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                    syncDirectory();
                }
                committed = true;
            } catch (IOException e) {
                throw failure("storing code package " + sha256, e);
            }
        }

        @Override
        public void close() {
            if (!committed) {
                deleteQuietly(temp);
            }
        }
    }

    /**
     * Writes {@code zip} to a synced temporary file, hashes it and checks it is a package the
     * worker can run; throws {@link ErrorType#INVALID_PARAMETER} if not.
     */
    public Staged stage(byte[] zip) {
        return stage(zip, true);
    }

    /** As {@link #stage(byte[])}; {@code bootstrap}: whether the package must have one (runtime provided). */
    public Staged stage(byte[] zip, boolean bootstrap) {
        Staged staged = receive(out -> out.write(zip));
        try {
            return staged.check(bootstrap);
        } catch (RuntimeException e) {
            staged.close();
            throw e;
        }
    }

    /**
     * Receives a package from {@code source} into a synced temporary file, hashing it as it is written,
     * in one of the store's slots; the caller checks it ({@link Staged#check}) and closes it.
     */
    public Staged receive(ZipSource source) {
        return withSlot(() -> {
            Path temp = dir.resolve(UUID.randomUUID() + PART);
            try {
                MessageDigest sha = sha256Digest();
                long size;
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                        CountingOutputStream out = new CountingOutputStream(new DigestOutputStream(
                                new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024), sha))) {
                    source.writeTo(out);
                    out.flush();
                    size = out.count();
                    channel.force(true);
                }
                return new Staged(temp, HexFormat.of().formatHex(sha.digest()), size);
            } catch (IOException | RuntimeException e) {
                deleteQuietly(temp);
                if (e instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e instanceof ZipSourceException refused) {
                    throw refused.refusal();
                }
                throw failure("writing a code package", (IOException) e);
            }
        });
    }

    /**
     * Thrown by a {@link ZipSource} that refuses what it reads (a value that is not base64): passed on
     * to the caller as its {@link FloeException}.
     */
    public static final class ZipSourceException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient RuntimeException refusal;

        public ZipSourceException(RuntimeException refusal) {
            super(refusal.getMessage(), refusal);
            this.refusal = refusal;
        }

        RuntimeException refusal() {
            return refusal;
        }
    }

    /**
     * Runs {@code work} in one of the store's slots: receiving and checking packages is CPU work (base64,
     * SHA-256, inflating every entry), and the controller's call handlers are virtual threads sharing one
     * carrier per core; so at most half the cores do it at once, and a burst of uploads waits here, parked,
     * rather than taking every carrier from the workers' heartbeats. Reentrant within a thread.
     */
    <T> T withSlot(java.util.function.Supplier<T> work) {
        if (HOLDS_SLOT.get()) {
            return work.get();
        }
        slots.acquireUninterruptibly();
        HOLDS_SLOT.set(true);
        try {
            return work.get();
        } finally {
            HOLDS_SLOT.set(false);
            slots.release();
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Counts what passes, for the package's size. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        long count() {
            return count;
        }
    }

    /** Where packages this store lacks are: the other controllers of a cluster. */
    public interface Remote {
        /** Has another controller store a copy of a package just committed here; throws if none could. */
        void copyOut(String sha256);

        /** Stores here a package another controller holds; false if none did. */
        boolean fetch(String sha256);
    }

    private volatile Remote remote;

    /** Sets where packages are copied to and fetched from (a cluster of controllers); default none. */
    public void remote(Remote remote) {
        this.remote = remote;
    }

    /** After a package was committed for a new revision: copied to a second controller, in a cluster. */
    public void committed(String sha256) {
        Remote r = remote;
        if (r != null) {
            r.copyOut(sha256);
        }
    }

    /** As {@link #find}, fetching the package from another controller of the cluster when it is not here. */
    public Optional<Path> findOrFetch(String sha256) {
        Optional<Path> here = find(sha256);
        Remote r = remote;
        if (here.isPresent() || r == null || !isSha256(sha256)) {
            return here;
        }
        return r.fetch(sha256) ? find(sha256) : Optional.empty();
    }

    /** The stored package with this hash, if any. */
    public Optional<Path> find(String sha256) {
        if (!isSha256(sha256)) {
            return Optional.empty();
        }
        Path file = path(sha256);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    public boolean delete(String sha256) {
        try {
            return isSha256(sha256) && Files.deleteIfExists(path(sha256));
        } catch (IOException e) {
            throw failure("deleting code package " + sha256, e);
        }
    }

    private Path path(String sha256) {
        return dir.resolve(sha256 + ".zip");
    }

    private void syncDirectory() throws IOException {
        // The rename is durable only once the directory entry is; Linux lets a directory be fsynced.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private void removeLeftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(PART)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // removed on the next start
        }
    }

    private static FloeException failure(String what, IOException e) {
        return new FloeException(ErrorType.SERVICE, what + " failed: " + e.getMessage(), new UncheckedIOException(e));
    }
}
