package dev.floe.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the harness judges a run from the function's records and the loads' counts. */
class ChaosReportTest {
    @TempDir
    Path dir;

    @Test
    void recordsCountRunsDuplicatesAndTornLines() throws IOException {
        Path file = Files.writeString(dir.resolve("records.log"), "1 r1 10\n2 r2 10\n2 r3 11\n3 r4\n0 r5 10\n0 r6 10\n");

        Records records = Records.read(file);

        assertEquals(2, records.distinct(), "1 and 2; the health check's 0 is not load");
        assertEquals(1, records.duplicated(), "2 ran twice");
        assertEquals(1, records.torn(), "a line cut short by a kill");
        assertTrue(records.ran(1) && records.ran(2) && !records.ran(3));
    }

    @Test
    void aRunPassesOnlyWithNothingHungLostOrListedTwice() throws IOException {
        Records records = Records.read(Files.writeString(dir.resolve("r.log"), "1 a 1\n2 b 1\n"));
        Tally good = new Tally("synchronous", 3, 2, Map.of("gRPC UNAVAILABLE", 1L), 0, Set.of(1L, 2L));

        ChaosReport passed = new ChaosReport(List.of(), List.of(good), records, 5, List.of());
        assertTrue(passed.passed());

        Tally lostOne = new Tally("synchronous", 3, 3, Map.of(), 0, Set.of(1L, 2L, 3L));
        assertEquals(1, new ChaosReport(List.of(), List.of(lostOne), records, 5, List.of()).lost());
        assertFalse(new ChaosReport(List.of(), List.of(lostOne), records, 5, List.of()).passed());
        Tally hung = new Tally("synchronous", 3, 2, Map.of(), 1, Set.of(1L, 2L));
        assertFalse(new ChaosReport(List.of(), List.of(hung), records, 5, List.of()).passed());
        assertFalse(new ChaosReport(List.of(), List.of(good), records, 5, List.of("worker w listed 2 times")).passed());
        assertFalse(new ChaosReport(List.of(), List.of(good), records, 4, List.of()).passed());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ChaosReport(List.of(), List.of(lostOne), records, 5, List.of()).print(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("lost (answered or accepted, never ran) 1"), out.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("FAILED: hung 0, lost 1"), out.toString());
    }

    @Test
    void asynchronousLoadIsJudgedFromTheRecordsBesideTheSynchronousOne() throws IOException {
        // 10 and 11 accepted asynchronously: 10 ran twice (allowed, at least once), 11 never ran (lost).
        Records records = Records.read(Files.writeString(dir.resolve("a.log"), "1 a 1\n10 b 1\n10 c 2\n"));
        Tally sync = new Tally("synchronous", 1, 1, Map.of(), 0, Set.of(1L));
        Tally async = new Tally("asynchronous", 2, 2, Map.of(), 0, Set.of(10L, 11L), Map.of("gRPC UNAVAILABLE", 5L), 1);

        ChaosReport report = new ChaosReport(List.of(), List.of(sync, async), records, 5, List.of());

        assertEquals(0, report.lost("synchronous"));
        assertEquals(1, report.lost("asynchronous"));
        assertEquals(1, report.duplicated(async));
        assertEquals(2, report.accepted("asynchronous"));
        assertFalse(report.passed());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        report.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.matches("(?s).*asynchronous +2 +2 +1 +1 +1 +0 +5 +0\\n.*"), printed);
        assertTrue(printed.contains("refused (not accepted) 5: gRPC UNAVAILABLE"), printed);
    }
}
