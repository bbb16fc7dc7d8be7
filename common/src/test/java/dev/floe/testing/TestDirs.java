package dev.floe.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Directories for a test's fleet data. Never under /tmp or /var/tmp, wherever the build runs: each
 * environment gets its private /tmp mounted there, which would hide files the test and its functions
 * both look at.
 */
public final class TestDirs {
    private static final Path BASE = Files.isWritable(Path.of("/var/lib")) ? Path.of("/var/lib", "floe-tests")
            : Path.of(System.getProperty("user.home"), ".floe-tests");

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
