package dev.floe.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Directories for a test's fleet data. Never under /tmp, wherever the build runs: each environment
 * gets a private /tmp mounted over the machine's, which would hide data kept there.
 */
public final class TestDirs {
    private static final Path BASE = Path.of("/var/tmp", "floe-tests");

    private TestDirs() {}

    /** A new, empty directory named {@code prefix-<random>}. */
    public static Path create(String prefix) {
        try {
            return Files.createDirectories(BASE.resolve(prefix + "-" + UUID.randomUUID().toString().substring(0, 8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a test's directory, read-only parts included; kept when run with {@code -Dfloe.keepTestData}. */
    public static void delete(Path dir) {
        if (!Files.exists(dir) || System.getProperty("floe.keepTestData") != null) {
            return;
        }
        try {
            dev.floe.common.FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove test data " + dir + ": " + e.getMessage(), e);
        }
    }
}
