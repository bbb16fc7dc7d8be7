package dev.floe.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodePackagesTest {
    @Test
    void aDirectoryIsZippedWithItsFilesAndPermissions(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bootstrap"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(dir.resolve("bootstrap"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/data.txt"), "data");

        byte[] zip = CodePackages.zipDirectory(dir);

        Map<String, Integer> modes = new java.util.HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                modes.put(e.getName(), 0);
            }
        }
        assertTrue(modes.containsKey("bootstrap"), modes.toString());
        assertTrue(modes.containsKey("lib/data.txt"), modes.toString());
        Path unpacked = Files.createTempFile(dir, "p", ".zip");
        Files.write(unpacked, zip);
        try (var fs = java.nio.file.FileSystems.newFileSystem(unpacked, Map.of("enablePosixFileAttributes", "true"))) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(fs.getPath("bootstrap"))));
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(fs.getPath("lib/data.txt"))));
        }
    }

    @Test
    void theSameFilesMakeTheSamePackageLaterAndWhenTheirTimesDiffer(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bootstrap"), "#!/bin/sh\n");
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/a.txt"), "a");
        Files.writeString(dir.resolve("b.txt"), "b");
        byte[] first = CodePackages.zipDirectory(dir);
        // Zip times have a resolution of two seconds: let the clock pass two, so a time that leaked in would show.
        long zipped = java.time.Instant.now().getEpochSecond();
        dev.floe.testing.Await.until(java.time.Duration.ofSeconds(5), "two seconds on the clock",
                () -> java.time.Instant.now().getEpochSecond() >= zipped + 2);

        for (String name : new String[] {"bootstrap", "lib", "lib/a.txt", "b.txt"}) {
            Files.setLastModifiedTime(dir.resolve(name), java.nio.file.attribute.FileTime.fromMillis(86_400_000L * 365 * 20));
        }
        byte[] second = CodePackages.zipDirectory(dir);

        org.junit.jupiter.api.Assertions.assertArrayEquals(first, second, "unchanged code keeps its SHA-256");
        Files.writeString(dir.resolve("b.txt"), "changed");
        assertTrue(!java.util.Arrays.equals(first, CodePackages.zipDirectory(dir)));
    }
}
