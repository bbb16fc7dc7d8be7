package dev.floe.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
    @Test
    void aRecordIsOneLineOfJsonWithItsIdsAndItsFailure() {
        LogRecord record = new LogRecord(Level.WARNING, "environment 3f2a9c1e-77 of resize failed to start: \"exit 1\"\nsee its log");
        record.setLoggerName("dev.floe.worker.environment.Environment");
        record.setInstant(java.time.Instant.parse("2026-12-08T01:02:03.004Z"));
        record.setThrown(new IllegalStateException("boom"));
        String line = new JsonLogFormatter().format(record);
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
        assertTrue(line.startsWith("{\"time\":\"2026-12-08T01:02:03.004Z\",\"level\":\"WARNING\","
                + "\"logger\":\"dev.floe.worker.environment.Environment\",\"message\":\"environment 3f2a9c1e-77 of resize failed to start:"
                + " \\\"exit 1\\\"\\nsee its log\",\"function\":\"resize\",\"environment\":\"3f2a9c1e-77\",\"error\":"
                + "\"java.lang.IllegalStateException: boom"), line);
    }

    @Test
    void theIdsComeFromTheMessagesPhrasesAndProseIsNotAnId() {
        assertEquals(Map.of("worker", "worker-1"), ids("worker worker-1 registered with the controller"));
        assertEquals(Map.of("function", "thumbs", "request", "8a1f0c2e-1111"), ids("function thumbs timed out on request 8a1f0c2e-1111"));
        assertFalse(ids("the worker is not connected").containsKey("worker"));
        assertEquals(Map.of(), ids("controller stopped"));
    }

    @Test
    void levelsAreSystemLoggersNames() {
        assertEquals("ERROR", JsonLogFormatter.level(Level.SEVERE));
        assertEquals("INFO", JsonLogFormatter.level(Level.INFO));
        assertEquals("DEBUG", JsonLogFormatter.level(Level.FINE));
        assertEquals("TRACE", JsonLogFormatter.level(Level.FINEST));
    }

    private static Map<String, String> ids(String message) {
        Map<String, String> fields = new LinkedHashMap<>();
        JsonLogFormatter.ids(message, fields);
        return fields;
    }
}
