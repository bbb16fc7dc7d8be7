package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Refuses a code package at upload time for what would otherwise only fail on a worker, at the first
 * cold start: not a zip, no {@code bootstrap} at its root for the {@code provided} runtimes (what they run,
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html), an entry whose path leaves the
 * package (a "zip slip"), a symbolic link whose target is absolute or climbs out of the package, more
 * than {@link FunctionLimits#CODE_ENTRIES_MAX} entries, or more than Lambda's 250 MB unpacked by the
 * sizes the zip declares. It
 * reads the zip's central directory; the worker's unpacker checks again as it unpacks, counting the
 * bytes it actually writes, so a package lying about its sizes is still stopped there.
 */
final class PackageInspector {
    private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:.*");

    private final long maxUnpackedBytes;

    PackageInspector(long maxUnpackedBytes) {
        this.maxUnpackedBytes = maxUnpackedBytes;
    }

    PackageInspector() {
        this(FunctionLimits.CODE_UNPACKED_MAX_BYTES);
    }

    /** Checks the zip at {@code zip}; throws an {@link ErrorType#INVALID_PARAMETER} naming what was expected. */
    void inspect(Path zip) {
        inspect(zip, true);
    }

    /** As {@link #inspect(Path)}; {@code requireBootstrap}: false for the managed runtimes, which bring their own. */
    void inspect(Path zip, boolean requireBootstrap) {
        try (ZipFile file = ZipFile.builder().setPath(zip).get()) {
            boolean bootstrap = false;
            String nestedBootstrap = null;
            long unpacked = 0;
            int count = 0;
            for (Enumeration<ZipArchiveEntry> entries = file.getEntries(); entries.hasMoreElements(); ) {
                ZipArchiveEntry entry = entries.nextElement();
                if (++count > FunctionLimits.CODE_ENTRIES_MAX) {
                    throw invalid("code: more than " + FunctionLimits.CODE_ENTRIES_MAX + " entries (expected: at most "
                            + FunctionLimits.CODE_ENTRIES_MAX + ")");
                }
                String name = entry.getName();
                checkInside(name);
                if (entry.isUnixSymlink()) {
                    checkLink(name, linkTarget(file, entry));
                }
                if (name.equals("bootstrap") && !entry.isDirectory()) {
                    bootstrap = true;
                } else if (nestedBootstrap == null && !entry.isDirectory() && name.endsWith("/bootstrap")) {
                    nestedBootstrap = name;
                }
                if (entry.getSize() > 0) {
                    unpacked += entry.getSize();
                }
            }
            if (unpacked > maxUnpackedBytes) {
                throw invalid("code: unpacks to " + unpacked + " bytes (expected: at most " + maxUnpackedBytes + ")");
            }
            long zipped = java.nio.file.Files.size(zip);
            if (unpacked > FunctionLimits.CODE_RATIO_FREE_BYTES && unpacked > zipped * FunctionLimits.CODE_RATIO_MAX) {
                throw invalid("code: unpacks to " + unpacked + " bytes from " + zipped + " zipped (expected: at most "
                        + FunctionLimits.CODE_RATIO_MAX + " times the zipped size, past "
                        + FunctionLimits.CODE_RATIO_FREE_BYTES + " bytes; this looks like a zip bomb)");
            }
            if (requireBootstrap && !bootstrap) {
                throw invalid("code: no bootstrap at the root of the package"
                        + (nestedBootstrap == null ? "" : " (found \"" + nestedBootstrap + "\")")
                        + " (expected: a file named bootstrap at the top of the zip, which runtime provided runs)");
            }
        } catch (IOException e) {
            throw invalid("code: not a zip file (" + e.getMessage() + "; expected: a zip archive"
                    + (requireBootstrap ? " with a bootstrap at its root)" : ")"));
        } catch (IllegalArgumentException e) {
            // ZipFile refuses entry names that are not valid in the archive's charset this way.
            throw invalid("code: not a readable zip file (" + e.getMessage() + "; expected: a zip archive"
                    + (requireBootstrap ? " with a bootstrap at its root)" : ")"));
        }
    }

    private static void checkInside(String name) {
        boolean absolute = name.startsWith("/") || name.startsWith("\\") || WINDOWS_DRIVE.matcher(name).matches();
        boolean climbs = false;
        for (String segment : name.split("[/\\\\]")) {
            if (segment.equals("..")) {
                climbs = true;
                break;
            }
        }
        if (absolute || climbs) {
            throw invalid("code: entry \"" + name + "\" points outside the package"
                    + " (expected: relative paths without \"..\")");
        }
    }

    /** The target of a symbolic link entry, which the zip stores as the entry's content. */
    private static String linkTarget(ZipFile file, ZipArchiveEntry entry) throws IOException {
        try (InputStream in = file.getInputStream(entry)) {
            return new String(in.readNBytes(4097), StandardCharsets.UTF_8);
        }
    }

    /**
     * A link must name something inside the package by a relative path: its target read from the
     * link's own directory may not climb above the root. (The worker checks again what the kernel
     * resolves, chains of links included.)
     */
    private static void checkLink(String name, String target) {
        Deque<String> path = new ArrayDeque<>();
        String[] segments = name.split("/");
        for (int i = 0; i < segments.length - 1; i++) {
            if (!segments[i].isEmpty() && !segments[i].equals(".")) {
                path.addLast(segments[i]);
            }
        }
        boolean escapes = target.isEmpty() || target.length() > 4096 || target.startsWith("/") || target.indexOf('\0') >= 0;
        for (String segment : target.split("/")) {
            if (escapes) {
                break;
            }
            if (segment.equals("..")) {
                escapes = path.pollLast() == null;
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                path.addLast(segment);
            }
        }
        if (escapes) {
            throw invalid("code: symbolic link \"" + name + "\" -> \"" + target + "\" points outside the package"
                    + " (expected: a relative target inside the package)");
        }
    }

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
