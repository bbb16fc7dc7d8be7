package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.common.code.PackageException;
import dev.floe.common.code.PackageReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Refuses a code package at upload for what would otherwise only fail on a worker, at every cold start:
 * it runs the worker's own unpacking rules ({@link PackageReader}: names inside the package, each path
 * once, nothing under a file or a link, links resolving inside it, entry count, and the unpacked size by
 * the zip's declared sizes and then by the bytes its entries really inflate to), keeping nothing, and
 * asks for a {@code bootstrap} at the root for the {@code provided} runtimes (what they run,
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html). So a package it accepts is one
 * every worker can unpack. Reading every entry costs about a second of CPU for a 250 MB package.
 */
final class PackageInspector {
    private final PackageReader reader;

    PackageInspector(long maxUnpackedBytes) {
        this.reader = new PackageReader(new PackageReader.Limits(maxUnpackedBytes, FunctionLimits.CODE_ENTRIES_MAX));
    }

    PackageInspector() {
        this.reader = new PackageReader(PackageReader.Limits.LAMBDA);
    }

    /** Checks the zip at {@code zip}; throws an {@link ErrorType#INVALID_PARAMETER} naming what was expected. */
    void inspect(Path zip) {
        inspect(zip, true);
    }

    /** As {@link #inspect(Path)}; {@code requireBootstrap}: false for the managed runtimes, which bring their own. */
    void inspect(Path zip, boolean requireBootstrap) {
        PackageReader.Summary summary;
        try {
            summary = reader.read(zip, new PackageReader.Visitor() {});
        } catch (PackageException e) {
            throw invalid("code: " + e.getMessage());
        } catch (IOException e) {
            throw new FloeException(ErrorType.SERVICE, "reading code package " + zip.getFileName() + " failed: " + e.getMessage(),
                    new UncheckedIOException(e));
        }
        if (requireBootstrap && !summary.rootBootstrap()) {
            throw invalid("code: no bootstrap at the root of the package"
                    + (summary.nestedBootstrap() == null ? "" : " (found \"" + summary.nestedBootstrap() + "\")")
                    + " (expected: a file named bootstrap at the top of the zip, which runtime provided runs)");
        }
    }

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
