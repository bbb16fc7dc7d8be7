package dev.floe.worker.code;

import dev.floe.common.code.PackageReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Unpacks a zip code package with its Unix permissions, under the rules the controller checked it
 * against at upload ({@link PackageReader}, one implementation for both): names inside the target,
 * each path once, nothing under a file or a link, at most {@code maxBytes} really unpacked (not what
 * the zip declares), at most {@code maxEntries} entries, links resolving inside the package. Links are
 * made last, after every file, so no file is ever written through one; once made, what the kernel
 * resolves each to is checked again against the real directory. The result is read-only.
 */
public final class PackageUnpacker {
    private final PackageReader reader;

    public PackageUnpacker(long maxBytes, int maxEntries) {
        this.reader = new PackageReader(new PackageReader.Limits(maxBytes, maxEntries));
    }

    /** Unpacks {@code zip} into {@code target} (which must not exist); returns the unpacked size. */
    public long unpack(Path zip, Path target) throws IOException {
        Path root = Files.createDirectories(target).toRealPath();
        PackageReader.Summary summary;
        try {
            summary = reader.read(zip, new Writer(root));
        } catch (FileSystemException e) {
            // The rules leave no collision, so this is the machine's (a full disk, a permission): say where.
            throw new IOException("unpacking the package failed at \"" + relative(root, e.getFile()) + "\": " + e.getReason(), e);
        }
        makeDirectoriesReadOnly(root);
        return summary.unpackedBytes();
    }

    /** Writes what the reader hands it under {@code root}. */
    private static final class Writer implements PackageReader.Visitor {
        private final Path root;

        Writer(Path root) {
            this.root = root;
        }

        @Override
        public void directory(String path) throws IOException {
            Files.createDirectories(root.resolve(path));
        }

        @Override
        public void file(String path, int unixMode, InputStream content) throws IOException {
            Path out = root.resolve(path);
            Files.createDirectories(out.getParent());
            try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.transferTo(os);
            }
            Files.setPosixFilePermissions(out, readOnly(unixMode));
        }

        @Override
        public void link(String path, String target) throws IOException {
            Path at = root.resolve(path);
            Files.createDirectories(at.getParent());
            Files.createSymbolicLink(at, Path.of(target));
            // The reader resolved it as the kernel would; the kernel has the last word.
            Path real;
            try {
                real = at.toRealPath();
            } catch (IOException e) {
                throw new IOException("symbolic link \"" + path + "\" -> \"" + target + "\" does not resolve (" + e.getMessage()
                        + "; expected: a target inside the package)", e);
            }
            if (!real.startsWith(root)) {
                throw new IOException("symbolic link \"" + path + "\" -> \"" + target
                        + "\" points outside the package (expected: a relative target inside the package)");
            }
        }
    }

    private static String relative(Path root, String file) {
        if (file == null) {
            return "";
        }
        Path p = Path.of(file);
        return p.startsWith(root) ? root.relativize(p).toString() : p.toString();
    }

    /** Keeps read and execute bits, for owner, group and others alike; drops write bits. */
    private static Set<PosixFilePermission> readOnly(int mode) {
        Set<PosixFilePermission> result = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if ((mode & 0111) != 0) {
            result.addAll(EnumSet.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_EXECUTE));
        }
        return result;
    }

    private static void makeDirectoriesReadOnly(Path root) throws IOException {
        Set<PosixFilePermission> dirPerms = EnumSet.of(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path dir : (Iterable<Path>) walk.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
                Files.setPosixFilePermissions(dir, dirPerms);
            }
        }
    }
}
