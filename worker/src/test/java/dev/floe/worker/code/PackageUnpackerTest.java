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
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
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

        // Refused by what it declares, before inflating anything; PackageReaderTest covers a zip that lies.
        assertEquals("unpacks to 1048576 bytes (expected: at most 100000)", e.getMessage());
    }

    @Test
    void tooManyEntriesAreRefused() throws Exception {
        Map<String, String> files = new java.util.HashMap<>();
        for (int i = 0; i < 20; i++) {
            files.put("f" + i, "x");
        }
        Path zip = write(CodePackages.zipFiles(files));

        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 10).unpack(zip, dir.resolve("out")));

        assertEquals("more than 10 entries (expected: at most 10)", e.getMessage());
    }

    @Test
    void aSymbolicLinkInsideThePackageStaysALink() throws Exception {
        Path zip = write(zip(file("lib/run.sh", "#!/bin/sh\necho ok\n", 0755), link("bootstrap", "lib/run.sh"),
                link("lib/self", "."), link("lib/data", "../lib/run.sh")));

        new PackageUnpacker(1_000_000, 100).unpack(zip, dir.resolve("out"));

        Path out = dir.resolve("out");
        assertTrue(Files.isSymbolicLink(out.resolve("bootstrap")));
        assertEquals(Path.of("lib/run.sh"), Files.readSymbolicLink(out.resolve("bootstrap")));
        assertEquals("#!/bin/sh\necho ok\n", Files.readString(out.resolve("bootstrap")));
        assertTrue(Files.isExecutable(out.resolve("bootstrap")));
        assertEquals("#!/bin/sh\necho ok\n", Files.readString(out.resolve("lib/self/data")));
    }

    @Test
    void symbolicLinksLeavingThePackageAreRefused() throws Exception {
        String[][] cases = {
                {"/etc/passwd", "\"/etc/passwd\" points outside the package"},
                {"../../etc/passwd", "points outside the package"},
                {"lib/../../x", "points outside the package"},
                {"missing", "points to nothing in the package"},
        };
        for (String[] c : cases) {
            Path zip = write(zip(file("bootstrap", "x", 0755), file("lib/a", "a", 0644), link("evil", c[0])));
            Path out = dir.resolve("out-" + Math.abs(c[0].hashCode()));

            IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(zip, out), c[0]);

            assertTrue(e.getMessage().startsWith("symbolic link \"evil\" -> \""), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertTrue(e.getMessage().endsWith("target inside the package)"), e.getMessage());
        }
    }

    @Test
    void aChainOfLinksThatLeavesThePackageIsRefused() throws Exception {
        // "d/up" -> ".." is the package's root, so "d/up/.." is its parent, though "escape" reads as inside.
        Path zip = write(zip(file("bootstrap", "x", 0755), file("d/f", "f", 0644), link("d/up", ".."),
                link("escape", "d/up/..")));

        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(zip, dir.resolve("out")));

        assertTrue(e.getMessage().contains("\"escape\" -> \"d/up/..\" points outside the package"), e.getMessage());
    }

    @Test
    void nothingIsWrittenThroughALink() throws Exception {
        // The link comes first in the zip; had it been made first, "up/owned" would land beside the package.
        Path zip = write(zip(link("up", ".."), file("up/owned", "gotcha", 0644), file("bootstrap", "x", 0755)));

        assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(zip, dir.resolve("out")));

        assertFalse(Files.exists(dir.resolve("owned")));
    }

    @Test
    void aSmallZipUnpackingToFarMoreIsRefusedAsABomb() throws Exception {
        Path zip = write(rawZip("zeros", "\0".repeat(80 << 20)));
        assertTrue(Files.size(zip) < 200_000, "size " + Files.size(zip));

        IOException e = assertThrows(IOException.class,
                () -> new PackageUnpacker(250L << 20, 100).unpack(zip, dir.resolve("out")));

        assertTrue(e.getMessage().startsWith("unpacks to 83886080 bytes from " + Files.size(zip)
                + " zipped (expected: at most 100 times the zipped size"), e.getMessage());
    }

    @Test
    void notAZipAndDuplicateNamesAreRefusedClearly() throws Exception {
        Path garbage = write("this is not a zip".getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(garbage, dir.resolve("a")));
        assertTrue(e.getMessage().startsWith("not a zip file ("), e.getMessage());

        Path twice = write(zip(file("bootstrap", "x", 0755), file("bootstrap", "y", 0755)));
        e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(twice, dir.resolve("b")));
        assertEquals("entry \"bootstrap\" appears twice (expected: each path once)", e.getMessage());

        Path linkAndFile = write(zip(file("bootstrap", "x", 0755), link("sub", "lib"), file("lib/y", "y", 0644), file("sub/x", "x", 0644)));
        e = assertThrows(IOException.class, () -> new PackageUnpacker(1_000_000, 100).unpack(linkAndFile, dir.resolve("c")));
        assertEquals("entry \"sub/x\" is under \"sub\", a symbolic link (expected: each path once, as a file, a directory or a"
                + " symbolic link; nothing under a file or a link)", e.getMessage());
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
    private record Item(String name, String content, int mode, boolean link) {}

    private static Item file(String name, String content, int mode) {
        return new Item(name, content, mode, false);
    }

    private static Item link(String name, String target) {
        return new Item(name, target, 0777, true);
    }

    /** A zip with Unix modes and symbolic links, entries in the order given. */
    static byte[] zip(Item... items) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (Item item : items) {
                ZipArchiveEntry entry = new ZipArchiveEntry(item.name());
                entry.setUnixMode((item.link() ? UnixStat.LINK_FLAG : UnixStat.FILE_FLAG) | item.mode());
                zip.putArchiveEntry(entry);
                zip.write(item.content().getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
