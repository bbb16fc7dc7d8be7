package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.launcher.BuildInfo;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The release archive as a user gets it: unpacked outside the source tree and run from another
 * directory with no JDK on the PATH and no JAVA_HOME, it runs the demo, a fleet with the java25 and
 * java21 runtimes (the JDK 25 AOT cache trained from the release's own runtime), and says its version.
 */
class ReleaseIT {
    private static Release release;

    @BeforeAll
    static void unpack() throws Exception {
        release = Release.unpack();
    }

    @AfterAll
    static void remove() {
        release.close();
    }

    @Test
    void theArchiveHoldsTheLauncherTheJarsARuntimeTheSamplesAndTheDeployKits() {
        for (String path : List.of("bin/floe", "runtime/bin/java", "runtime/bin/keytool", "deploy/install.sh")) {
            assertTrue(Files.isExecutable(release.home().resolve(path)), path);
        }
        for (String path : List.of("lib", "examples/hello", "deploy/systemd", "deploy/kubernetes", "deploy/container", "deploy/grafana", "docs")) {
            assertTrue(Files.isDirectory(release.home().resolve(path)), path);
        }
        assertTrue(release.home().getFileName().toString().equals("floe-" + BuildInfo.version()), release.home().toString());
    }

    @Test
    void itSaysItsVersionAndCommitAndRunsTheDemoWithNoJdk() throws Exception {
        Release.Run version = release.floe(Duration.ofSeconds(60), "--version");
        assertEquals(0, version.status(), version.output());
        assertTrue(version.output().matches("floe " + java.util.regex.Pattern.quote(BuildInfo.version()) + " \\(commit [0-9a-f]{7,}(-dirty)?\\)\\n"),
                version.output());

        Release.Run demo = release.floe(Duration.ofMinutes(3), "demo", "--data", release.dir().resolve("demo").toString());
        assertEquals(0, demo.status(), demo.output());
        List<String> rows = demo.output().lines().filter(l -> l.matches("^[1-4] +(cold|warm) .*")).toList();
        assertEquals(4, rows.size(), demo.output());
        assertTrue(rows.stream().skip(1).allMatch(r -> r.contains(" warm ") && r.contains("FROZEN")), demo.output());
        assertTrue(demo.output().contains("no environment process left"), demo.output());
    }

    @Test
    void aFleetFromTheReleaseRunsJavaFunctionsOnItsOwnRuntimeAndTrainsTheAotCache() throws Exception {
        Path data = release.dir().resolve("up");
        int port = Release.freePort();
        String endpoint = "127.0.0.1:" + port;
        Process up = release.start(data.resolve("up.log"), "up", "--workers", "1", "--port", Integer.toString(port), "--lambda-port", "0",
                "--data", data.toString(), "--worker-memory", "2048");
        try {
            Await.until(Duration.ofSeconds(90), "floe up is up", () -> {
                try {
                    return Files.readString(data.resolve("up.log")).contains("Floe is up");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            Release.Run workers = release.floe(Duration.ofSeconds(60), "workers", "--json", "--endpoint", endpoint);
            assertEquals(0, workers.status(), workers.output());
            assertTrue(workers.output().contains("\"launcher\": \"native\""), "the compiled environment launcher ships: " + workers.output());
            Path jar = JavaHandler.jar(release.dir().resolve("hello-java"));
            for (String runtime : List.of("java25", "java21")) {
                String name = "hello-" + runtime;
                Release.Run created = release.floe(Duration.ofSeconds(60), "fn", "create", name, "--code", jar.toString(),
                        "--runtime", runtime, "--handler", JavaHandler.HANDLER, "--memory", "512", "--timeout", "30", "--endpoint", endpoint);
                assertEquals(0, created.status(), created.output());
                JsonObject cold = invoke(name, endpoint);
                JsonObject warm = invoke(name, endpoint);
                assertTrue(cold.get("cold").getAsBoolean(), cold.toString());
                assertTrue(!warm.get("cold").getAsBoolean(), warm.toString());
                assertEquals(cold.get("environmentId"), warm.get("environmentId"));
                assertEquals("\"hello from java 25, call 2\"", warm.get("payload").getAsString(), warm.toString());
            }
            // The first java cold start trains the runtime's AOT cache with the release's own JDK 25.
            Path cache = data.resolve("workers/worker-1/runtimes/java/runtime.aot");
            Await.until(Duration.ofSeconds(120), "the AOT cache " + cache, () -> Files.isRegularFile(cache) && cache.toFile().length() > 0);
        } finally {
            Release.stop(up);
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
    }

    private static JsonObject invoke(String name, String endpoint) throws Exception {
        Release.Run run = release.floe(Duration.ofSeconds(90), "invoke", name, "--json", "--endpoint", endpoint);
        assertEquals(0, run.status(), run.output());
        JsonObject json = JsonParser.parseString(run.output()).getAsJsonObject();
        assertEquals("", json.get("errorType").getAsString(), run.output());
        return json;
    }
}
