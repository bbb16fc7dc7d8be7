package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the stream-flood function ({@code examples/stream-flood}) says of itself in its record
 * file: "sent N", "blocked N" when it could not write for a while, "done N" at the end.
 */
final class FloodRecord {
    private FloodRecord() {}

    /** The record's text; empty before the function first wrote it. */
    static String read(Path record) {
        try {
            return Files.readString(record).trim();
        } catch (NoSuchFileException notYet) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the function reports it cannot write (past {@code read} bytes), and returns how far it got. */
    static long awaitBlockedBeyond(Path record, long read) {
        String blocked = Await.value(Duration.ofSeconds(60), "the function blocked past " + read + " bytes", () -> {
            String now = read(record);
            if (now.startsWith("done")) {
                return now; // never held back: the assertion below says so
            }
            return now.startsWith("blocked ") && Long.parseLong(now.substring(8)) >= read ? now : null;
        });
        assertTrue(blocked.startsWith("blocked "), "the function was never held back: " + blocked);
        return Long.parseLong(blocked.substring(8));
    }
}
