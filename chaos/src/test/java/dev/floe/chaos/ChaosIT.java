package dev.floe.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The chaos suite at CI size: one round of faults (a worker and the controller killed with SIGKILL,
 * a worker's link cut past the heartbeat timeout and restored) on a fleet of separate processes
 * under steady synchronous and asynchronous load. {@code -Dfloe.chaos.rounds=N} soaks longer. What a
 * user would see: no call hangs, nothing answered and no accepted asynchronous invocation is missing
 * from the function's records, no environment or worker is listed twice, and afterwards the fleet
 * simply works.
 */
class ChaosIT {
    @Test
    void killsAndPartitionsLeaveNoHungCallNoLostInvocationAndNoDuplicateEnvironment() throws Exception {
        Path data = TestDirs.create("chaos");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
        try {
            ChaosReport report = ChaosRun.builder()
                    .workers(2)
                    .rounds(Integer.getInteger("floe.chaos.rounds", 1))
                    .callers(3)
                    .settle(Duration.ofSeconds(2))
                    .dataDir(data)
                    .out(out)
                    .build()
                    .run();
            report.print(out);

            String printed = log.toString(StandardCharsets.UTF_8);
            assertEquals(0, report.hung(), printed);
            assertEquals(0, report.lost(), printed);
            assertTrue(report.accepted("asynchronous") > 0, "the asynchronous load had invocations accepted\n" + printed);
            assertEquals(0, report.lost("asynchronous"), "every accepted asynchronous invocation ran at least once\n" + printed);
            assertEquals(java.util.List.of(), report.duplicates(), printed);
            assertEquals(5, report.healthyCalls(), printed);
            assertTrue(report.completed() > 0, printed);
            assertTrue(printed.contains("SIGKILL worker-0") && printed.contains("SIGKILL controller"), printed);
            if (printed.contains("each worker in its own network namespace")) {
                assertTrue(printed.contains("cut worker-1's link") && printed.contains("worker-1 rejoined"), printed);
            }
            assertTrue(printed.contains("PASSED"), printed);
        } finally {
            Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(30));
            TestDirs.delete(data);
        }
    }

    /** Keeps what the run prints for the assertion messages, and shows it as it happens. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
