package dev.floe.worker.code;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Unpacks a zip code package with its Unix permissions, refusing what could harm the worker: entries
 * whose path leaves the target directory, more than {@code maxBytes} unpacked (a zip bomb), more than
 * {@code maxEntries} entries. Symbolic links are not created. The result is read-only.
 */
public final class PackageUnpacker {
    private final long maxBytes;
    private final int maxEntries;

    public PackageUnpacker(long maxBytes, int maxEntries) {
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
    }

    /** Unpacks {@code zip} into {@code target} (which must not exist); returns the unpacked size. */
    public long unpack(Path zip, Path target) throws IOException {
        Path root = Files.createDirectories(target).toRealPath();
        long total = 0;
        int entries = 0;
        URI uri = URI.create("jar:" + zip.toUri());
        try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("enablePosixFileAttributes", "true"))) {
            Path zipRoot = fs.getPath("/");
            List<Path> all = new java.util.ArrayList<>();
            try (Stream<Path> walk = Files.walk(zipRoot)) {
                // Counted as they come, so a package of a million tiny entries is refused before it is listed.
                for (Iterator<Path> it = walk.iterator(); it.hasNext(); ) {
                    all.add(it.next());
                    if (all.size() > maxEntries + 1) {
                        throw new IOException("the package has more than " + maxEntries + " entries");
                    }
                }
            }
            for (Path entry : all) {
                if (entry.equals(zipRoot)) {
                    continue;
                }
                if (++entries > maxEntries) {
                    throw new IOException("the package has more than " + maxEntries + " entries");
                }
                String name = zipRoot.relativize(entry).toString();
                Path out = root.resolve(name).normalize();
                if (!out.startsWith(root) || out.equals(root)) {
                    throw new IOException("the package's entry \"" + name + "\" points outside the package");
                }
                if (Files.isDirectory(entry)) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                try (InputStream in = Files.newInputStream(entry); OutputStream os = Files.newOutputStream(out)) {
                    byte[] buffer = new byte[64 * 1024];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        total += n;
                        if (total > maxBytes) {
                            throw new IOException("the package unpacks to more than " + maxBytes + " bytes");
                        }
                        os.write(buffer, 0, n);
                    }
                }
                Files.setPosixFilePermissions(out, readOnly(permissions(entry)));
            }
        }
        makeDirectoriesReadOnly(root);
        return total;
    }

    private static Set<PosixFilePermission> permissions(Path entry) {
        try {
            return Files.readAttributes(entry, PosixFileAttributes.class).permissions();
        } catch (IOException | UnsupportedOperationException e) {
            return EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        }
    }

    /** Keeps read and execute bits, for owner, group and others alike; drops write bits. */
    private static Set<PosixFilePermission> readOnly(Set<PosixFilePermission> original) {
        boolean exec = original.contains(PosixFilePermission.OWNER_EXECUTE)
                || original.contains(PosixFilePermission.GROUP_EXECUTE)
                || original.contains(PosixFilePermission.OTHERS_EXECUTE);
        Set<PosixFilePermission> result = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if (exec) {
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
            for (Path dir : (Iterable<Path>) walk.filter(Files::isDirectory)::iterator) {
                Files.setPosixFilePermissions(dir, dirPerms);
            }
        }
    }
}
