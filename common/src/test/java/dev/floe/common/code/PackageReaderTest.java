package dev.floe.common.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules every package must meet, as the controller's upload check and the worker's unpacker both
 * run them; the first three are issue 10's packages, which were accepted at upload and then failed every
 * invocation.
 */
class PackageReaderTest {
    private static final PackageReader READER = new PackageReader(PackageReader.Limits.LAMBDA);

    @TempDir
    Path dir;

    @Test
    void aZipUnderDeclaringAnEntrysSizeIsRefusedByTheBytesItReallyHolds() throws Exception {
        // 80 MB of zeros, declared as 1,000 bytes in both headers: the declared sizes pass, the real ones do not.
        byte[] zip = underDeclared(zip(file("bootstrap", "#!/bin/sh\n", 0755), file("zeros", "\0".repeat(80 << 20), 0644)), "zeros", 1000);
        Path file = write(zip);
        PackageException e = assertThrows(PackageException.class, () -> READER.read(file, new PackageReader.Visitor() {}));
        assertTrue(e.getMessage().startsWith("unpacks to more than 67108864 bytes from " + zip.length + " zipped (expected: at most 100"
                + " times the zipped size, past 67108864 bytes; this looks like a zip bomb)"), e.getMessage());

        PackageReader small = new PackageReader(new PackageReader.Limits(1 << 20, 100));
        Path honestRatio = write(underDeclared(zip(file("bootstrap", "x", 0755), file("data", "y".repeat(2 << 20), 0644)), "data", 1000));
        assertEquals("unpacks to more than 1048576 bytes (expected: at most 1048576)",
                assertThrows(PackageException.class, () -> small.read(honestRatio, new PackageReader.Visitor() {})).getMessage());
    }

    @Test
    void aPathTwiceIsRefused() throws Exception {
        assertRefused("entry \"bootstrap\" appears twice (expected: each path once)",
                zip(file("bootstrap", "a", 0755), file("bootstrap", "b", 0755)));
        assertRefused("entry \"lib/x\" appears twice (expected: each path once)",
                zip(file("bootstrap", "a", 0755), file("lib/x", "1", 0644), file("lib/./x", "2", 0644)));
        assertRefused("entry \"a\" is named twice, as a file and as a symbolic link (expected: each path once)",
                zip(file("bootstrap", "a", 0755), file("a", "1", 0644), link("a", "bootstrap")));
    }

    @Test
    void nothingMayLieUnderALinkOrAFileWhicheverComesFirst() throws Exception {
        String under = " (expected: each path once, as a file, a directory or a symbolic link; nothing under a file or a link)";
        assertRefused("entry \"sub/x\" is under \"sub\", a symbolic link" + under,
                zip(file("bootstrap", "a", 0755), link("sub", "lib"), file("lib/y", "y", 0644), file("sub/x", "x", 0644)));
        assertRefused("entry \"sub\" is a symbolic link and also the directory of \"sub/x\" (expected: each path once, as a file,"
                + " a directory or a symbolic link)", zip(file("bootstrap", "a", 0755), file("sub/x", "x", 0644), link("sub", ".")));
        assertRefused("entry \"a/b\" is under \"a\", a file" + under, zip(file("a", "1", 0644), file("a/b", "2", 0644)));
        assertRefused("entry \"a\" is named twice, as a file and as a directory (expected: each path once)",
                zip(file("a", "1", 0644), dirEntry("a/")));
    }

    @Test
    void linksAreResolvedAsTheKernelResolvesThem() throws Exception {
        String outside = " points outside the package (expected: a relative target inside the package)";
        // "d/up" -> ".." is the root, so "d/up/.." is the root's parent, though the text stays inside.
        assertRefused("symbolic link \"escape\" -> \"d/up/..\"" + outside,
                zip(file("bootstrap", "x", 0755), file("d/f", "f", 0644), link("d/up", ".."), link("escape", "d/up/..")));
        assertRefused("symbolic link \"evil\" -> \"/etc/passwd\"" + outside, zip(file("bootstrap", "x", 0755), link("evil", "/etc/passwd")));
        assertRefused("symbolic link \"evil\" -> \"missing\" points to nothing in the package (expected: a target inside the package)",
                zip(file("bootstrap", "x", 0755), link("evil", "missing")));
        assertRefused("symbolic link \"a\" -> \"b\" does not resolve: more than 40 links on the way (expected: a target inside the package)",
                zip(file("bootstrap", "x", 0755), link("a", "b"), link("b", "a")));
        assertRefused("symbolic link \"l\" -> \"bootstrap/x\" goes through a file as if it were a directory (expected: a target inside"
                + " the package)", zip(file("bootstrap", "x", 0755), link("l", "bootstrap/x")));

        List<String> made = new ArrayList<>();
        PackageReader.Summary summary = READER.read(write(zip(link("bootstrap", "lib/run.sh"), file("lib/run.sh", "#!/bin/sh\n", 0755),
                link("lib/self", "."), link("lib/data", "../lib/self/run.sh"))), new PackageReader.Visitor() {
                    @Override
                    public void link(String path, String target) {
                        made.add(path + " -> " + target);
                    }
                });
        assertTrue(summary.rootBootstrap(), "a link named bootstrap is the package's bootstrap");
        assertEquals(List.of("bootstrap -> lib/run.sh", "lib/self -> .", "lib/data -> ../lib/self/run.sh"), made, "links come last, in order");
    }

    @Test
    void namesMustBeWritable() throws Exception {
        assertRefused("entry \"../evil\" points outside the package (expected: relative paths without \"..\")",
                zip(file("bootstrap", "x", 0755), file("../evil", "x", 0644)));
        assertRefused("entry \"" + "n".repeat(200) + "...\" has a name of 256 bytes (expected: at most 255 per file or directory name,"
                + " the file system's limit)", zip(file("bootstrap", "x", 0755), file("n".repeat(256), "x", 0644)));
        assertRefused("entry \".\" has no file name (expected: a path to a file)", zip(file(".", "x", 0644)));
    }

    @Test
    void theRealBytesAreCountedWhateverTheVisitorReads() throws Exception {
        Path file = write(zip(file("bootstrap", "#!/bin/sh\n", 0755), file("lib/a", "a".repeat(5000), 0644)));
        PackageReader.Summary summary = READER.read(file, new PackageReader.Visitor() {
            @Override
            public void file(String path, int unixMode, java.io.InputStream content) throws IOException {
                content.read(); // reads one byte and leaves the rest
            }
        });
        assertEquals(5010, summary.unpackedBytes());
        assertEquals(2, summary.entries());
    }

    private void assertRefused(String message, byte[] zip) throws IOException {
        Path file = write(zip);
        PackageException e = assertThrows(PackageException.class, () -> READER.read(file, new PackageReader.Visitor() {}));
        assertEquals(message, e.getMessage());
    }

    private Path write(byte[] zip) throws IOException {
        return Files.write(Files.createTempFile(dir, "package", ".zip"), zip);
    }

    private record Item(String name, String content, int mode, int kind) {}

    private static Item file(String name, String content, int mode) {
        return new Item(name, content, mode, UnixStat.FILE_FLAG);
    }

    private static Item link(String name, String target) {
        return new Item(name, target, 0777, UnixStat.LINK_FLAG);
    }

    private static Item dirEntry(String name) {
        return new Item(name, "", 0755, UnixStat.DIR_FLAG);
    }

    /** A zip with Unix modes and links, entries in the order given, deflated. */
    static byte[] zip(Item... items) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (Item item : items) {
                ZipArchiveEntry entry = new ZipArchiveEntry(item.name());
                entry.setUnixMode(item.kind() | item.mode());
                zip.putArchiveEntry(entry);
                zip.write(item.content().getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The zip with {@code name}'s uncompressed size rewritten to {@code declared} in its local header and the central directory. */
    static byte[] underDeclared(byte[] zip, String name, int declared) {
        byte[] out = zip.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at + 46 < out.length; at++) {
            int signature = b.getInt(at);
            if (signature == 0x04034b50 && matches(out, at + 30, b.getShort(at + 26), wanted)) {
                b.putInt(at + 22, declared);
            } else if (signature == 0x02014b50 && matches(out, at + 46, b.getShort(at + 28), wanted)) {
                b.putInt(at + 24, declared);
            }
        }
        return out;
    }

    private static boolean matches(byte[] zip, int at, int length, byte[] name) {
        return length == name.length && at + length <= zip.length
                && java.util.Arrays.equals(zip, at, at + length, name, 0, name.length);
    }
}
