package dev.floe.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server commands refuse a wrong option before they start anything. */
class ServerCommandsTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int floe(String... args) {
        return Floe.cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", dir.toString())).run(args);
    }

    @Test
    void serverPolicyOptionsAreCheckedBeforeAnythingStarts() {
        assertEquals(2, floe("controller", "--placement", "nearest", "--data", dir.resolve("c").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(
                "--placement: \"nearest\" (expected one of: floe, random, least-loaded, openwhisk-hash, warm-first, hermod)"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("up", "--keep-alive", "lru", "--data", dir.resolve("u").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keep-alive: \"lru\" (expected: fixed[:DURATION], greedy-dual[:DURATION] or hybrid-histogram[:DURATION]"),
                err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("up", "--keep-alive", "hybrid-histogram", "--data", dir.resolve("u").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keep-alive: \"hybrid-histogram\" runs only in floe simulate for now"),
                err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("up", "--keep-alive", "fixed:1m", "--idle-timeout", "60", "--data", dir.resolve("u").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keep-alive and --idle-timeout: both given"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionSaysTheVersionAndTheCommit() {
        assertEquals(0, floe("--version"));
        assertTrue(out.toString(StandardCharsets.UTF_8).matches("floe \\S+ \\(commit \\S+\\)\\n"), out.toString(StandardCharsets.UTF_8));
    }
}
