package dev.floe.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void onATerminalTheLineIsRedrawnInPlaceWithTheCountAndErasedAtTheEnd() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress progress = Progress.start(err, "simulate", true)) {
            progress.at(3, 12);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!bytes.toString(StandardCharsets.UTF_8).contains("simulate 3/12 (25%) · ") && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("simulate 3/12 (25%) · "), "the line is drawn within 10 s");
            progress.println(err, "a result");
        }
        String written = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(written.startsWith("\rsimulate"), written);
        assertTrue(written.contains("\r\033[Ka result\n"), "a line printed above clears the progress line first: " + written);
        assertTrue(written.endsWith("\r\033[K"), "closing erases the line: " + written);
    }

    @Test
    void offATerminalNothingIsWritten() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress progress = Progress.start(err, "uploading", false)) {
            progress.at(1, 2);
            progress.println(err, "done");
        }
        assertEquals("done\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
