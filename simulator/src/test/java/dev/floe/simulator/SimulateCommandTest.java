package dev.floe.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int floe(String... args) {
        return new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", dir.toString())).run(args);
    }

    private String trace() throws IOException {
        return SimulationTest.write(dir, new SimulationTest.Fn("f", 128, 100, 1, 2, 0, 3),
                new SimulationTest.Fn("g", 256, 2000, 0, 1, 1, 0));
    }

    @Test
    void printsATableRowPerCombination() throws IOException {
        assertEquals(0, floe("simulate", "--trace", trace(), "--workers", "2", "--worker-memory", "1024",
                "--placement", "floe", "--placement", "warm-first", "--policy", "random", "--keep-alive", "fixed:10m"));
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("policy") && lines[0].contains("cold starts") && lines[0].contains("idle GB*s"));
        assertTrue(lines[1].startsWith("floe ") && lines[1].contains("fixed:10m") && lines[1].contains(" 8 "), lines[1]);
        assertTrue(lines[2].startsWith("warm-first "), lines[2]);
        assertTrue(lines[3].startsWith("random "), lines[3]);
    }

    @Test
    void jsonIsAnArrayOfObjectsWithPolicyAndKeepAlive() throws IOException {
        assertEquals(0, floe("simulate", "--trace", trace(), "--workers", "2", "--worker-memory", "1024", "--json",
                "--policy", "openwhisk-hash", "--keep-alive", "greedy-dual:5m", "--keep-alive", "fixed:1m"));
        String json = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(json.startsWith("[") && json.endsWith("]"), json);
        assertTrue(json.contains("{\"policy\": \"openwhisk-hash\", \"keepAlive\": \"greedy-dual:5m\", \"invocations\": 8, \"coldStarts\": "), json);
        assertTrue(json.contains("\"keepAlive\": \"fixed:1m\""), json);
        for (String field : new String[] {"coldStartRatio", "idleMemoryGbSeconds", "decisionsPerSecond"}) {
            assertEquals(2, json.split("\"" + field + "\"", -1).length - 1, field + " in each object: " + json);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8), "nothing but JSON, on stdout");
    }

    @Test
    void badArgumentsSayWhatWasExpected() throws IOException {
        String trace = trace();
        assertEquals(2, floe("simulate", "--workers", "2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--trace"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("simulate", "--trace", trace, "--placement", "nearest"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(
                "--placement: \"nearest\" (expected one of: floe, random, least-loaded, openwhisk-hash, warm-first, hermod)"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("simulate", "--trace", trace, "--keep-alive", "forever"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keep-alive: \"forever\" (expected: fixed[:DURATION], greedy-dual[:DURATION] or hybrid-histogram[:DURATION]"),
                err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("simulate", "--trace", dir.resolve("missing").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("missing_mem.csv does not exist (expected: PREFIX_inv.csv"),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void fleetAutoFindsTheSmallestFleetWhereTheBestBaselineRejectsAtMostHalfAPercent() throws IOException {
        // 1 GB environments running 50 s each, 6 a minute: about 5 run at once, one per 1 GB worker.
        int[] perMinute = new int[30];
        java.util.Arrays.fill(perMinute, 6);
        String trace = SimulationTest.write(dir, new SimulationTest.Fn("slow", 1024, 50_000, perMinute));

        assertEquals(0, floe("simulate", "--trace", trace, "--fleet", "auto", "--worker-memory", "1024",
                "--placement", "floe", "--placement", "warm-first", "--keep-alive", "fixed:10m"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "--fleet auto: (\\d+) workers, where the best baseline \\(warm-first, fixed:10m\\) rejects (\\d+) of 180 invocations")
                .matcher(err.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), err.toString(StandardCharsets.UTF_8));
        int workers = Integer.parseInt(m.group(1));
        assertEquals(0, Integer.parseInt(m.group(2)), "0.5% of 180 is less than one");
        Trace t = Trace.load(trace);
        Simulation.Result smaller = FleetSizing.best(t, workers - 1, 1024, 1, java.util.List.of("warm-first"), "fixed:10m");
        assertTrue(smaller.rejected() > 0, "one worker fewer rejects some: " + smaller);
        assertTrue(workers >= 5 && workers <= 12, "about five run at once, more when arrivals bunch: " + workers);
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, "floe and warm-first, on that fleet");

        err.reset();
        assertEquals(2, floe("simulate", "--trace", trace, "--fleet", "auto", "--worker-memory", "512"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--fleet auto: a function of the trace takes 1024 MB, more than"
                + " --worker-memory 512 (expected: --worker-memory of at least 1024)"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, floe("simulate", "--trace", trace, "--fleet", "12"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--fleet: \"12\" (expected: auto; --workers N sets a size)"),
                err.toString(StandardCharsets.UTF_8));
    }
}
