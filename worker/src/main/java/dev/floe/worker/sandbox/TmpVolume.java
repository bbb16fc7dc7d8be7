package dev.floe.worker.sandbox;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An environment's private /tmp. Lambda gives each environment its own /tmp of the function's
 * ephemeral storage size, on disk and apart from memory; Floe does the same where it can.
 */
public sealed interface TmpVolume extends AutoCloseable {
    /** How the machine gives environments a private /tmp, best first. */
    enum Kind {
        /** A sparse ext4 image, loop-mounted on /tmp in the environment's mount namespace: disk-backed, size-limited. */
        DISK("disk"),
        /** A tmpfs on /tmp in the environment's mount namespace: size-limited, but its pages count as the environment's memory. */
        TMPFS("tmpfs"),
        /** No mount privilege: TMPDIR points at a private directory, /tmp itself is the machine's, and size is not enforced. */
        TMPDIR("tmpdir");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    Kind kind();

    /** The launcher's TMP_KIND, TMP_SOURCE and TMP_MB arguments. */
    List<String> launcherArguments();

    /** Variables the runtime needs to find its /tmp. */
    Map<String, String> environment();

    @Override
    void close() throws IOException;

    /** Formats a sparse ext4 image whose free space is about {@code sizeMb}; takes ~15 ms. */
    static TmpVolume disk(Path image, int sizeMb) throws IOException {
        return disk(image, sizeMb, false);
    }

    /** As {@link #disk(Path, int)}; {@code background} formats at the lowest CPU priority. */
    static TmpVolume disk(Path image, int sizeMb, boolean background) throws IOException {
        // ext4's own metadata takes ~2%: size the image so the function gets what it asked for.
        long bytes = (long) sizeMb * 1024 * 1024 * 103 / 100 + 4L * 1024 * 1024;
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(bytes);
        }
        List<String> mkfs = List.of("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal,^resize_inode",
                "-E", "nodiscard,lazy_itable_init=1", image.toString());
        if (background) {
            List<String> nice = new java.util.ArrayList<>(List.of("nice", "-n", "19"));
            nice.addAll(mkfs);
            mkfs = nice;
        }
        run(mkfs);
        return new Disk(image, sizeMb);
    }

    static TmpVolume tmpfs(int sizeMb) {
        return new Tmpfs(sizeMb);
    }

    /** A private TMPDIR, owned by the environment's user ({@code uid} 0: the worker's own). */
    static TmpVolume tmpdir(Path dir, long uid) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        if (uid != 0) {
            Files.setAttribute(dir, "unix:uid", (int) uid);
            Files.setAttribute(dir, "unix:gid", (int) uid);
        }
        return new Dir(dir);
    }

    record Disk(Path image, int sizeMb) implements TmpVolume {
        @Override
        public Kind kind() {
            return Kind.DISK;
        }

        @Override
        public List<String> launcherArguments() {
            return List.of("disk", image.toString(), Integer.toString(sizeMb));
        }

        @Override
        public Map<String, String> environment() {
            return Map.of();
        }

        /** The loop device detaches itself when the environment's mount namespace dies. */
        @Override
        public void close() throws IOException {
            Files.deleteIfExists(image);
        }
    }

    record Tmpfs(int sizeMb) implements TmpVolume {
        @Override
        public Kind kind() {
            return Kind.TMPFS;
        }

        @Override
        public List<String> launcherArguments() {
            return List.of("tmpfs", "-", Integer.toString(sizeMb));
        }

        @Override
        public Map<String, String> environment() {
            return Map.of();
        }

        @Override
        public void close() {
            // the tmpfs goes with the environment's mount namespace
        }
    }

    record Dir(Path dir) implements TmpVolume {
        @Override
        public Kind kind() {
            return Kind.TMPDIR;
        }

        @Override
        public List<String> launcherArguments() {
            return List.of("none", "-", "0");
        }

        @Override
        public Map<String, String> environment() {
            return Map.of("TMPDIR", dir.toString());
        }

        @Override
        public void close() throws IOException {
            dev.floe.common.FileTrees.delete(dir);
        }
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.getFirst() + " did not finish in 30 s");
            }
            if (process.exitValue() != 0) {
                String output = new String(process.getInputStream().readAllBytes()).trim();
                throw new IOException(command.getFirst() + " failed (exit " + process.exitValue() + "): " + output);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.getFirst(), e);
        }
    }
}
