package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.launcher.Floe;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code floe up --log-format json} as a log shipper reads it: every line on stderr is one JSON object with
 * time, level, logger and message, and the worker's id where the record is about it.
 */
class JsonLogsTest {
    @Test
    void upWithJsonLogsWritesOneObjectPerLineWithTheIdsInPlay() throws Exception {
        Path data = TestDirs.create("json-logs");
        Path err = data.resolve("stderr.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Floe.class.getName(), "up", "--workers", "1", "--port", "0", "--lambda-port", "0", "--worker-memory", "512",
                "--data", data.resolve("fleet").toString(), "--log-format", "json")
                .redirectOutput(data.resolve("stdout.log").toFile()).redirectError(err.toFile());
        builder.environment().put("HOME", data.toString());
        Process up = builder.start();
        try {
            Await.until(Duration.ofSeconds(90), "the worker registers", () -> read(err).contains("registered with the controller"));
            // SLF4J's notice comes from the AWS SDK on this test's class path; Floe's distribution has no SLF4J.
            List<String> lines = read(err).lines().filter(l -> !l.isBlank() && !l.startsWith("SLF4J: ")).toList();
            assertTrue(lines.size() >= 3, String.join("\n", lines));
            boolean sawWorker = false;
            for (String line : lines) {
                JsonObject record = JsonParser.parseString(line).getAsJsonObject();
                for (String field : List.of("time", "level", "logger", "message")) {
                    assertTrue(record.has(field), field + " in " + line);
                }
                Instant.parse(record.get("time").getAsString());
                if (record.get("message").getAsString().startsWith("worker worker-1 registered")) {
                    assertEquals("worker-1", record.get("worker").getAsString(), line);
                    assertEquals("INFO", record.get("level").getAsString(), line);
                    sawWorker = true;
                }
            }
            assertTrue(sawWorker, String.join("\n", lines));
        } finally {
            up.destroy();
            if (!up.waitFor(60, TimeUnit.SECONDS)) {
                up.destroyForcibly().waitFor();
            }
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
