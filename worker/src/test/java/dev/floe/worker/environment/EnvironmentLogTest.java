package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.TestDirs;
import dev.floe.worker.sandbox.OutputPump;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EnvironmentLogTest {
    @Test
    void durationsPrintAsTheFormatterWould() {
        for (double value : new double[] {0, 0.004, 0.005, 0.05, 1, 1.5, 12.345, 999.999, 3000.0, 123456.78}) {
            assertEquals(String.format(Locale.ROOT, "%.2f", value), EnvironmentLog.twoDecimals(value), Double.toString(value));
        }
    }

    /** The cap's arithmetic, with the runtime's output handed in as the pump hands it: chunk by chunk. */
    @Test
    void outputPastTheCapIsDroppedCountedAndNotedAndThePlatformsLinesAreAlwaysWritten() throws Exception {
        Path dir = TestDirs.create("envlog");
        AtomicLong metered = new AtomicLong();
        try (OutputPump pump = new OutputPump("envlog"); EnvironmentLog log = new EnvironmentLog(dir.resolve("log"), pump, metered::addAndGet)) {
            long start = log.start("r1", 1);
            assertEquals(0, start);
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            long offered = 0;
            while (offered < 2 * EnvironmentLog.MAX_BYTES + 12_345) {
                int n = (int) Math.min(chunk.length, 2 * EnvironmentLog.MAX_BYTES + 12_345 - offered);
                log.write(ByteBuffer.wrap(chunk, 0, n));
                offered += n;
                assertTrue(log.size() <= EnvironmentLog.MAX_BYTES, "never past the cap: " + log.size());
            }
            long kept = EnvironmentLog.MAX_BYTES - "START RequestId: r1 Version: 1\n".length();
            assertEquals(offered - kept, metered.get(), "every byte not kept is counted");
            log.end("r1", 1, 1, 128, 10, 0);

            String tail = log.tail(0);
            assertTrue(tail.contains("[floe] " + (offered - kept) + " bytes of output were dropped: the log keeps at most 64 MB of it\n"
                    + "END RequestId: r1\nREPORT RequestId: r1\t"), tail);
            long full = Files.size(dir.resolve("log"));
            assertEquals(log.size(), full);
            assertTrue(full > EnvironmentLog.MAX_BYTES && full < EnvironmentLog.MAX_BYTES + 512, "the platform's lines past the cap: " + full);

            long next = log.start("r2", 1);
            log.write(ByteBuffer.wrap("after\n".getBytes(StandardCharsets.UTF_8)));
            log.end("r2", 1, 1, 128, 10, 0);
            String again = Files.readString(dir.resolve("log"));
            assertTrue(again.startsWith("[floe] the log started again: it keeps at most 64 MB\nSTART RequestId: r2"), again);
            assertEquals(again.indexOf("START RequestId: r2"), next, "START's offset, for the invocation's tail");
            assertTrue(again.contains("after\nEND RequestId: r2\n"), again);
        } finally {
            TestDirs.delete(dir);
        }
    }
}
