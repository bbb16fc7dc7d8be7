package dev.floe.worker.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the package unpacker with hostile zips: random trees of files, directories and
 * links with nasty names and targets, then byte-level mutations of the archive. Whatever the input,
 * the unpacker returns or throws an {@link IOException} with a message (nothing else escapes), within
 * a deadline, writes nothing outside its target, and leaves no link there that resolves outside it; and
 * the controller's upload check, which runs the same rules writing nothing, accepts exactly the packages
 * the unpacker unpacks.
 * {@code -Dfloe.fuzz.cases=N} runs more cases; {@code -Dfloe.fuzz.seed=S} replays a run.
 */
class PackageUnpackerFuzzTest {
    private static final int CASES = Integer.getInteger("floe.fuzz.cases", 150);
    private static final long SEED = Long.getLong("floe.fuzz.seed", 7_2024L);
    private static final List<String> NAMES = List.of("bootstrap", "lib/a.so", "lib/", "a/b/c.txt", "../escape", "../../escape",
            "/abs", "a/../../escape", "a/./b", "a//b", ".", "./", "..", "a\\..\\..\\escape", "link", "lib/link", "dup", "dup",
            "x".repeat(300), "é/ü", "a/b/", "c:/escape");
    private static final List<String> TARGETS = List.of("bootstrap", "lib", "..", "../..", "/etc", "/", ".", "lib/../..",
            "link", "lib/link", "missing", "a/b/c.txt", "../escape", "a/../../..", "x".repeat(5000));

    @TempDir
    Path dir;

    @Test
    void noMutatedPackageWritesOutsideItsTargetOrFailsOtherThanWithAClearError() throws Exception {
        Random random = new Random(SEED);
        PackageUnpacker unpacker = new PackageUnpacker(1L << 20, 200);
        int unpacked = 0;
        int refused = 0;
        for (int i = 0; i < CASES; i++) {
            Path box = Files.createDirectories(dir.resolve("case-" + i));
            Path zip = box.resolve("package.zip");
            byte[] bytes = zipOfRandomEntries(random);
            if (random.nextBoolean()) {
                bytes = mutate(random, bytes);
            }
            Files.write(zip, bytes);
            Path target = box.resolve("out");
            String what = "case " + i + " (seed " + SEED + ")";

            Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                try {
                    unpacker.unpack(zip, target);
                    return null;
                } catch (IOException e) {
                    return e;
                }
            }, what + ": the unpacker hung");

            // What the controller accepts at upload (the same rules, nothing written) is what a worker can unpack.
            IOException uploadCheck = null;
            try {
                new dev.floe.common.code.PackageReader(new dev.floe.common.code.PackageReader.Limits(1L << 20, 200))
                        .read(zip, new dev.floe.common.code.PackageReader.Visitor() {});
            } catch (IOException e) {
                uploadCheck = e;
            }
            assertEquals(uploadCheck == null, failure == null, what + ": the upload check " + (uploadCheck == null ? "accepted"
                    : "refused (" + uploadCheck.getMessage() + ")") + ", the worker " + (failure == null ? "unpacked it"
                    : "refused (" + failure.getMessage() + ")"));
            if (failure == null) {
                unpacked++;
                assertEveryLinkResolvesInside(target.toRealPath(), what);
            } else {
                refused++;
                assertNotNull(failure.getMessage(), what + ": an error without a message");
            }
            assertEquals(Set.of("package.zip", "out"), list(box), what + ": nothing is written beside the target");
            FileTrees.delete(box);
        }
        System.out.println("PackageUnpackerFuzzTest: " + CASES + " cases, " + unpacked + " unpacked, " + refused + " refused");
        assertTrue(unpacked > CASES / 20 && refused > CASES / 20,
                "the cases exercise both outcomes: " + unpacked + " unpacked, " + refused + " refused");
    }

    private static Set<String> list(Path box) throws IOException {
        try (Stream<Path> files = Files.list(box)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static void assertEveryLinkResolvesInside(Path root, String what) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                assertTrue(p.toRealPath().startsWith(root), what + ": " + p + " resolves to " + p.toRealPath());
                if (Files.isSymbolicLink(p)) {
                    assertTrue(Files.exists(p), what + ": " + p + " dangles");
                }
                assertTrue(!Files.isWritable(p) || Files.isSymbolicLink(p) || isRoot(),
                        what + ": " + p + " is writable");
            }
        }
        assertTrue(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** A zip of up to six entries: files, directories and links, good names and hostile ones. */
    private static byte[] zipOfRandomEntries(Random random) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (int n = random.nextInt(6); n >= 0; n--) {
                boolean good = random.nextInt(6) > 0;
                String name = good ? "f" + random.nextInt(5) + (random.nextBoolean() ? "/g" + random.nextInt(3) : "")
                        : NAMES.get(random.nextInt(NAMES.size()));
                ZipArchiveEntry entry = new ZipArchiveEntry(name);
                int kind = random.nextInt(5);
                String content;
                if (kind == 0) {
                    entry.setUnixMode(UnixStat.LINK_FLAG | 0777);
                    content = random.nextBoolean() ? "f" + random.nextInt(5) : TARGETS.get(random.nextInt(TARGETS.size()));
                } else {
                    entry.setUnixMode(UnixStat.FILE_FLAG | (random.nextBoolean() ? 0755 : 0644));
                    content = kind == 1 ? "\0".repeat(random.nextInt(512 << 10)) : "data " + random.nextInt();
                }
                zip.putArchiveEntry(entry);
                zip.write(content.getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Flipped bytes, cut ranges, a truncated end: what a corrupt or crafted archive holds. */
    private static byte[] mutate(Random random, byte[] zip) {
        byte[] out = zip.clone();
        for (int n = 1 + random.nextInt(8); n > 0 && out.length > 0; n--) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(4)) {
                case 0 -> out[at] = (byte) random.nextInt(256);
                case 1 -> out[at] = (byte) (out[at] ^ (1 << random.nextInt(8)));
                case 2 -> out = java.util.Arrays.copyOf(out, Math.max(1, out.length - random.nextInt(64)));
                default -> {
                    // a large value in what may be a size or offset field
                    for (int k = 0; k < 4 && at + k < out.length; k++) {
                        out[at + k] = (byte) 0xff;
                    }
                }
            }
        }
        return out;
    }
}
