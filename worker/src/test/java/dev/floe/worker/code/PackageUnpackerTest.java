package dev.floe.worker.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageUnpackerTest {
    @TempDir
    Path dir;

    @Test
    void filesKeepTheirExecuteBitAndNothingIsWritable() throws Exception {
        Path zip = write(CodePackages.zipFiles(Map.of("bootstrap", "#!/bin/sh\n", "lib/data.txt", "data")));

        long bytes = new PackageUnpacker(1_000_000, 100).unpack(zip, dir.resolve("out"));

        assertEquals(14, bytes);
        assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("out/bootstrap"))));
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("out/lib/data.txt"))));
        assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("out/lib"))));
    }

    @Test
    void anEntryLeavingThePackageIsRefused() throws Exception {
        Path zip = write(rawZip("../../escaped", "gotcha"));

        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(zip, dir.resolve("out")));

        assertTrue(e.getMessage().contains("outside the package") || e.getMessage().contains(".."), e.getMessage());
        assertFalse(Files.exists(dir.resolve("escaped")));
        assertFalse(Files.exists(dir.getParent().resolve("escaped")));
    }

    @Test
    void aPackageUnpackingPastTheLimitIsRefused() throws Exception {
        // A megabyte of zeros compresses to about a kilobyte: a small bomb.
        Path zip = write(rawZip("zeros", "\0".repeat(1 << 20)));
        assertTrue(Files.size(zip) < 10_000);

        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(100_000, 100).unpack(zip, dir.resolve("out")));

        assertEquals("the package unpacks to more than 100000 bytes", e.getMessage());
    }

    @Test
    void tooManyEntriesAreRefused() throws Exception {
        Map<String, String> files = new java.util.HashMap<>();
        for (int i = 0; i < 20; i++) {
            files.put("f" + i, "x");
        }
        Path zip = write(CodePackages.zipFiles(files));

        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 10).unpack(zip, dir.resolve("out")));

        assertEquals("the package has more than 10 entries", e.getMessage());
    }

    private Path write(byte[] zip) throws IOException {
        Path file = Files.createTempFile(dir, "package", ".zip");
        Files.write(file, zip);
        return file;
    }

    /** A zip written entry by entry, so its names can be anything a hostile package holds. */
    private static byte[] rawZip(String name, String content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(name));
            zip.write(content.getBytes(StandardCharsets.ISO_8859_1));
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }
}
