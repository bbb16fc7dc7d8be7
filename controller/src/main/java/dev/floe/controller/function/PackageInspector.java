package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Refuses a code package at upload time for what would otherwise only fail on a worker, at the first
 * cold start: not a zip, no {@code bootstrap} at its root for the {@code provided} runtimes (what they run,
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html), an entry whose path leaves the
 * package (a "zip slip"), or more than Lambda's 250 MB unpacked by the sizes the zip declares. It
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
        try (ZipFile file = new ZipFile(zip.toFile())) {
            boolean bootstrap = false;
            String nestedBootstrap = null;
            long unpacked = 0;
            for (Enumeration<? extends ZipEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                checkInside(name);
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

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
