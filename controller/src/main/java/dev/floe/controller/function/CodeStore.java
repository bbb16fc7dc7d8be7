package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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

    private final Path dir;
    private final PackageInspector inspector;

    public CodeStore(Path dir) throws IOException {
        this(dir, new PackageInspector());
    }

    CodeStore(Path dir, PackageInspector inspector) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.inspector = inspector;
        removeLeftovers();
    }

    public static boolean isSha256(String text) {
        return text != null && SHA256.matcher(text).matches();
    }

    /** A checked package in a temporary file, not yet stored under its hash; closing it discards it unless committed. */
    public final class Staged implements AutoCloseable {
        private final Path temp;
        private final String sha256;
        private final long size;
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

        /** Stores the package under its hash; if an identical one is stored already, keeps that one. */
        public void commit() {
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
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // removed on the next start
                }
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
        Path temp = dir.resolve(UUID.randomUUID() + PART);
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(zip);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Staged staged = new Staged(temp, sha256(zip), zip.length);
            try {
                inspector.inspect(temp, bootstrap);
            } catch (RuntimeException e) {
                staged.close();
                throw e;
            }
            return staged;
        } catch (IOException e) {
            deleteQuietly(temp);
            throw failure("writing a code package", e);
        }
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

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
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
