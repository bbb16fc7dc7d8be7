package dev.floe.common.code;

import dev.floe.common.FunctionLimits;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Reads a zip code package entry by entry and applies every rule a package must meet to be unpacked:
 * at most {@code maxEntries} entries; names inside the package ({@link Names#normalize}); each path once,
 * nothing under a file or a link ({@link PackageTree}); symbolic links resolving inside the package to
 * something in it; and at most {@code maxUnpackedBytes} unpacked, or {@link FunctionLimits#CODE_RATIO_MAX}
 * times the zip's size past {@link FunctionLimits#CODE_RATIO_FREE_BYTES} (a zip bomb): by the sizes the
 * zip declares first, then by the bytes its entries really inflate to, counted as they are read, since
 * a zip's headers can lie (300 MB declared as 1,000 bytes).
 *
 * <p>The controller reads a package with a visitor that keeps nothing, the worker with one that writes
 * each file as it comes; so a package the controller accepts is one the worker can unpack. A {@link
 * Visitor} sees entries in the zip's physical order, and every link only after every file and directory
 * (and after the links were checked), so no file is ever written through a link.
 */
public final class PackageReader {
    /** A link's target is at most a path's length (PATH_MAX). */
    static final int MAX_LINK_TARGET_BYTES = 4096;

    /** What the package may hold. */
    public record Limits(long maxUnpackedBytes, int maxEntries) {
        public static final Limits LAMBDA = new Limits(FunctionLimits.CODE_UNPACKED_MAX_BYTES, FunctionLimits.CODE_ENTRIES_MAX);

        public Limits {
            if (maxUnpackedBytes <= 0 || maxEntries <= 0) {
                throw new IllegalArgumentException("maxUnpackedBytes: " + maxUnpackedBytes + ", maxEntries: " + maxEntries
                        + " (expected: both > 0)");
            }
        }
    }

    /** What is done with the entries; by default nothing. Paths are relative to the package's root, with {@code /}. */
    public interface Visitor {
        default void directory(String path) throws IOException {}

        /** {@code content} is the entry's real bytes; what the visitor leaves unread is read and counted after it. */
        default void file(String path, int unixMode, InputStream content) throws IOException {}

        /** Called once every entry was read and every link checked. */
        default void link(String path, String target) throws IOException {}
    }

    /** What the package holds. {@code nestedBootstrap}: the first {@code bootstrap} below the root, or null. */
    public record Summary(int entries, long unpackedBytes, boolean rootBootstrap, String nestedBootstrap) {}

    private final Limits limits;

    public PackageReader(Limits limits) {
        this.limits = limits;
    }

    /**
     * Applies the rules to the zip at {@code zip}, handing each entry to {@code visitor}; throws a
     * {@link PackageException} naming the rule a package breaks, or the visitor's own exception.
     */
    public Summary read(Path zip, Visitor visitor) throws IOException {
        long zipped = Files.size(zip);
        try (ZipFile file = open(zip)) {
            List<ZipArchiveEntry> entries = list(file);
            checkDeclared(entries, zipped);
            long budget = Math.min(limits.maxUnpackedBytes(), Math.max(FunctionLimits.CODE_RATIO_FREE_BYTES,
                    zipped * FunctionLimits.CODE_RATIO_MAX));
            long[] unpacked = {0};
            PackageTree tree = new PackageTree();
            List<String[]> links = new ArrayList<>();
            boolean rootBootstrap = false;
            String nestedBootstrap = null;
            for (ZipArchiveEntry entry : entries) {
                String name = entry.getName();
                String path = Names.normalize(name);
                if (entry.isDirectory()) {
                    if (!path.isEmpty()) {
                        tree.directory(path);
                        visitor.directory(path);
                    }
                    continue;
                }
                if (path.isEmpty()) {
                    throw new PackageException("entry \"" + Names.printable(name) + "\" has no file name (expected: a path to a file)");
                }
                if (path.equals("bootstrap")) {
                    rootBootstrap = true;
                } else if (nestedBootstrap == null && path.endsWith("/bootstrap")) {
                    nestedBootstrap = path;
                }
                if (entry.isUnixSymlink()) {
                    String target = linkTarget(file, entry, path);
                    tree.link(path, target);
                    links.add(new String[] {path, target});
                    continue;
                }
                tree.file(path);
                int mode = entry.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? entry.getUnixMode() : 0;
                try (InputStream in = new Counted(file.getInputStream(entry), unpacked, budget, zipped)) {
                    visitor.file(path, mode, in);
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
            tree.checkLinks();
            for (String[] link : links) {
                visitor.link(link[0], link[1]);
            }
            return new Summary(entries.size(), unpacked[0], rootBootstrap, nestedBootstrap);
        } catch (RuntimeException e) {
            // The zip reader's way of refusing some malformed archives (a bad extra field, an impossible size).
            throw new PackageException("not a readable zip file (" + e.getMessage() + "; expected: a zip archive)", e);
        }
    }

    private static ZipFile open(Path zip) throws PackageException {
        try {
            return ZipFile.builder().setPath(zip).get();
        } catch (IOException | RuntimeException e) {
            throw new PackageException("not a zip file (" + e.getMessage() + "; expected: a zip archive)", e);
        }
    }

    /** The entries in the order they lie in the zip, counted as they come, so a million tiny ones are refused before listed. */
    private List<ZipArchiveEntry> list(ZipFile file) throws PackageException {
        List<ZipArchiveEntry> all = new ArrayList<>();
        for (Enumeration<ZipArchiveEntry> e = file.getEntriesInPhysicalOrder(); e.hasMoreElements(); ) {
            all.add(e.nextElement());
            if (all.size() > limits.maxEntries()) {
                throw new PackageException("more than " + limits.maxEntries() + " entries (expected: at most " + limits.maxEntries() + ")");
            }
        }
        return all;
    }

    /** The sizes the zip declares: refused at once when they alone are too much. */
    private void checkDeclared(List<ZipArchiveEntry> entries, long zipped) throws PackageException {
        long declared = 0;
        for (ZipArchiveEntry entry : entries) {
            if (entry.getSize() > 0) {
                declared += entry.getSize();
            }
        }
        if (declared > limits.maxUnpackedBytes()) {
            throw new PackageException("unpacks to " + declared + " bytes (expected: at most " + limits.maxUnpackedBytes() + ")");
        }
        if (declared > FunctionLimits.CODE_RATIO_FREE_BYTES && declared > zipped * FunctionLimits.CODE_RATIO_MAX) {
            throw bomb("unpacks to " + declared + " bytes", zipped);
        }
    }

    private static PackageException bomb(String what, long zipped) {
        return new PackageException(what + " from " + zipped + " zipped (expected: at most " + FunctionLimits.CODE_RATIO_MAX
                + " times the zipped size, past " + FunctionLimits.CODE_RATIO_FREE_BYTES + " bytes; this looks like a zip bomb)");
    }

    /** The target of a symbolic link entry, which the zip stores as the entry's content. */
    private static String linkTarget(ZipFile file, ZipArchiveEntry entry, String path) throws IOException {
        byte[] bytes;
        try (InputStream in = file.getInputStream(entry)) {
            bytes = in.readNBytes(MAX_LINK_TARGET_BYTES + 1);
        }
        if (bytes.length == 0 || bytes.length > MAX_LINK_TARGET_BYTES) {
            throw new PackageException("symbolic link \"" + Names.printable(path) + "\" has a target of "
                    + (bytes.length > MAX_LINK_TARGET_BYTES ? "more than " + MAX_LINK_TARGET_BYTES : "0")
                    + " bytes (expected: 1 to " + MAX_LINK_TARGET_BYTES + ")");
        }
        String target = new String(bytes, StandardCharsets.UTF_8);
        if (target.startsWith("/") || target.indexOf('\0') >= 0) {
            throw PackageTree.outside(path, target);
        }
        return target;
    }

    /** An entry's bytes, counted against the package's budget as they are read. */
    private final class Counted extends FilterInputStream {
        private final long[] total;
        private final long budget;
        private final long zipped;

        Counted(InputStream in, long[] total, long budget, long zipped) {
            super(in);
            this.total = total;
            this.budget = budget;
            this.zipped = zipped;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // Skipped bytes are inflated all the same: count them by reading.
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            int read = read(buffer, 0, buffer.length);
            return Math.max(read, 0);
        }

        private void count(int n) throws PackageException {
            total[0] += n;
            if (total[0] > budget) {
                throw budget < limits.maxUnpackedBytes()
                        ? bomb("unpacks to more than " + budget + " bytes", zipped)
                        : new PackageException("unpacks to more than " + budget + " bytes (expected: at most " + budget + ")");
            }
        }
    }
}
