package dev.floe.worker.code;

import dev.floe.common.FunctionLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Unpacks a zip code package with its Unix permissions, refusing what could harm the worker: entries
 * whose path leaves the target directory, more than {@code maxBytes} unpacked or more than
 * {@link #MAX_RATIO} times the zip's own size past {@link #RATIO_FREE_BYTES} (a zip bomb), more than
 * {@code maxEntries} entries. Symbolic links become real links when they resolve to something inside
 * the package, and are refused otherwise; they are made last, after every file, so no file is ever
 * written through one. The result is read-only.
 */
public final class PackageUnpacker {
    static final long MAX_RATIO = FunctionLimits.CODE_RATIO_MAX;
    static final long RATIO_FREE_BYTES = FunctionLimits.CODE_RATIO_FREE_BYTES;
    private static final int MAX_LINK_TARGET_BYTES = 4096;

    private final long maxBytes;
    private final int maxEntries;

    public PackageUnpacker(long maxBytes, int maxEntries) {
        if (maxBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + ", maxEntries: " + maxEntries + " (expected: both > 0)");
        }
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
    }

    /** Unpacks {@code zip} into {@code target} (which must not exist); returns the unpacked size. */
    public long unpack(Path zip, Path target) throws IOException {
        Path root = Files.createDirectories(target).toRealPath();
        long budget = Math.min(maxBytes, Math.max(RATIO_FREE_BYTES, Files.size(zip) * MAX_RATIO));
        long total = 0;
        try (ZipFile file = open(zip)) {
            List<ZipArchiveEntry> entries = list(file);
            Map<Path, String> links = new LinkedHashMap<>();
            for (ZipArchiveEntry entry : entries) {
                String name = entry.getName();
                Path out = inside(root, name);
                if (entry.isUnixSymlink()) {
                    links.put(out, linkTarget(file, entry));
                    continue;
                }
                if (entry.isDirectory()) {
                    if (out.equals(root)) {
                        continue;
                    }
                    Files.createDirectories(out);
                    continue;
                }
                if (out.equals(root)) {
                    throw new IOException("the package's entry \"" + name + "\" has no file name (expected: a path to a file)");
                }
                Files.createDirectories(out.getParent());
                try (InputStream in = file.getInputStream(entry);
                     OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    byte[] buffer = new byte[64 * 1024];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        total += n;
                        if (total > budget) {
                            throw tooBig(budget);
                        }
                        os.write(buffer, 0, n);
                    }
                } catch (FileAlreadyExistsException e) {
                    throw new IOException("the package holds \"" + name + "\" twice (expected: each path once)");
                }
                Files.setPosixFilePermissions(out, readOnly(entry));
            }
            makeLinks(root, links);
        } catch (FileSystemException e) {
            // e.g. a file whose name is taken by a directory of the package: say which, not where it was unpacking
            throw new IOException("the package's entries collide at \"" + relative(root, e.getFile()) + "\": " + e.getReason());
        } catch (RuntimeException e) {
            // The zip reader's way of refusing some malformed archives (a bad extra field, an impossible size).
            throw new IOException("the package is not a readable zip (" + e.getMessage() + ")", e);
        }
        makeDirectoriesReadOnly(root);
        return total;
    }

    private IOException tooBig(long budget) {
        return budget < maxBytes
                ? new IOException("the package unpacks to more than " + budget + " bytes, over " + MAX_RATIO
                        + " times its zipped size (expected: an ordinary zip, not a zip bomb)")
                : new IOException("the package unpacks to more than " + maxBytes + " bytes");
    }

    private static ZipFile open(Path zip) throws IOException {
        try {
            return ZipFile.builder().setPath(zip).get();
        } catch (IOException e) {
            throw new IOException("the package is not a readable zip (" + e.getMessage() + ")");
        }
    }

    /** The entries, counted as they come, so a package of a million tiny entries is refused before it is listed. */
    private List<ZipArchiveEntry> list(ZipFile file) throws IOException {
        List<ZipArchiveEntry> all = new ArrayList<>();
        for (Enumeration<ZipArchiveEntry> e = file.getEntriesInPhysicalOrder(); e.hasMoreElements(); ) {
            all.add(e.nextElement());
            if (all.size() > maxEntries) {
                throw new IOException("the package has more than " + maxEntries + " entries");
            }
        }
        return all;
    }

    /** Where {@code name} goes under {@code root}, refusing names that leave it. */
    private static Path inside(Path root, String name) throws IOException {
        Path out;
        try {
            out = root.resolve(name).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException("the package's entry \"" + printable(name) + "\" is not a valid path (expected: a relative path)");
        }
        if (!out.startsWith(root) || name.startsWith("/")) {
            throw new IOException("the package's entry \"" + printable(name) + "\" points outside the package");
        }
        return out;
    }

    private static String linkTarget(ZipFile file, ZipArchiveEntry entry) throws IOException {
        try (InputStream in = file.getInputStream(entry)) {
            byte[] bytes = in.readNBytes(MAX_LINK_TARGET_BYTES + 1);
            if (bytes.length == 0 || bytes.length > MAX_LINK_TARGET_BYTES) {
                throw new IOException("the package's symbolic link \"" + printable(entry.getName())
                        + "\" has a target of " + bytes.length + " bytes (expected: 1 to " + MAX_LINK_TARGET_BYTES + ")");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * Makes the links, each checked twice: by its target's text (not absolute, not leaving the package
     * by {@code ..}), then, once all exist, by what the kernel resolves it to, chains of links included.
     */
    private static void makeLinks(Path root, Map<Path, String> links) throws IOException {
        for (Map.Entry<Path, String> link : links.entrySet()) {
            Path at = link.getKey();
            String target = link.getValue();
            String name = relative(root, at);
            if (target.startsWith("/") || target.indexOf('\0') >= 0
                    || !at.getParent().resolve(target).normalize().startsWith(root) || at.equals(root)) {
                throw outside(name, target);
            }
            Files.createDirectories(at.getParent());
            try {
                Files.createSymbolicLink(at, Path.of(target));
            } catch (FileAlreadyExistsException e) {
                throw new IOException("the package holds \"" + name + "\" twice, once as a symbolic link (expected: each path once)");
            }
        }
        for (Map.Entry<Path, String> link : links.entrySet()) {
            String name = relative(root, link.getKey());
            Path real;
            try {
                real = link.getKey().toRealPath();
            } catch (NoSuchFileException e) {
                throw new IOException("the package's symbolic link \"" + name + "\" -> \"" + printable(link.getValue())
                        + "\" points to nothing in the package (expected: a target inside the package)");
            } catch (FileSystemException e) {
                throw outside(name, link.getValue() + "\", which does not resolve (" + e.getReason() + ")");
            }
            if (!real.startsWith(root)) {
                throw outside(name, link.getValue());
            }
        }
    }

    private static IOException outside(String name, String target) {
        return new IOException("the package's symbolic link \"" + name + "\" -> \"" + printable(target)
                + "\" points outside the package (expected: a relative target inside the package)");
    }

    private static String relative(Path root, Object file) {
        if (file == null) {
            return "";
        }
        Path p = Path.of(file.toString());
        return p.startsWith(root) ? root.relativize(p).toString() : p.toString();
    }

    /** A name from a hostile zip, fit for an error message: control characters escaped, length bounded. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 200 ? b + "…" : b.toString();
    }

    /** Keeps read and execute bits, for owner, group and others alike; drops write bits. */
    private static Set<PosixFilePermission> readOnly(ZipArchiveEntry entry) {
        int mode = entry.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? entry.getUnixMode() : 0;
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
