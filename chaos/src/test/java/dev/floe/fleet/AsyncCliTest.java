package dev.floe.fleet;

import dev.floe.launcher.Floe;
import dev.floe.launcher.LocalFleet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.FloeClient;
import dev.floe.controller.async.RetryPolicy;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code floe invoke --async}, {@code floe invocation get} and {@code floe dlq}, as a user types them, against a local fleet. */
class AsyncCliTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Path data;
    private static LocalFleet fleet;
    private static FloeClient client;

    @BeforeAll
    static void start() throws IOException {
        data = TestDirs.create("async-cli");
        // No retries: a failing event reaches the dead-letter list at once, rather than after Lambda's minutes of backoff.
        RetryPolicy noRetries = new RetryPolicy(0, Duration.ZERO, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofHours(1));
        fleet = LocalFleet.builder().workers(1).port(0).dataDir(data).workerMemoryMb(1024)
                .controllerTuning(b -> b.asyncRetryPolicy(noRetries)).start().awaitRegistered(Duration.ofSeconds(20));
        client = fleet.client();
        client.createFunction("probe", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").build());
    }

    @AfterAll
    static void stop() {
        client.close();
        fleet.close();
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private record Result(int status, String out, String err) {}

    private static Result floe(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] line = new String[args.length + 4];
        System.arraycopy(args, 0, line, 0, args.length);
        line[args.length] = "--endpoint";
        line[args.length + 1] = fleet.endpoint().toString();
        line[args.length + 2] = "--token-file";
        line[args.length + 3] = data.resolve("controller/token").toString();
        int status = Floe.cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", data.toString())).run(line);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String awaitStatus(String id, String status) {
        return Await.value(WAIT, id + " " + status, () -> {
            Result get = floe("invocation", "get", id);
            return get.status() == 0 && field(get.out(), "status").equals(status) ? get.out() : null;
        });
    }

    /** A field's value in {@code floe invocation get}'s table. */
    private static String field(String table, String name) {
        return table.lines().filter(l -> l.startsWith(name + " ")).map(l -> l.substring(name.length()).strip()).findFirst().orElse("");
    }

    @Test
    void anAsyncInvokePrintsAnIdWhoseStatusAndResultCanBeRead() {
        Result queued = floe("invoke", "probe", "--async", "--payload", "{\"op\":\"count\"}");
        assertEquals(0, queued.status(), queued.err());
        String id = queued.out().strip();
        assertTrue(id.matches("[0-9a-f-]{36}"), queued.out());

        String shown = awaitStatus(id, "succeeded");
        assertEquals("1", field(shown, "attempts"), shown);
        assertTrue(shown.contains("\"count\": 1"), shown);
    }

    @Test
    void payloadLinesQueuesOneInvocationPerLineAndPrintsOneIdPerLine() throws IOException {
        int events = 5000;
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < events; i++) {
            lines.append("{\"op\":\"echo\",\"i\":").append(i).append("}\n");
        }
        Path file = Files.writeString(data.resolve("events.jsonl"), lines);
        client.createFunction("lines", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").build());
        // The figure includes the dispatcher starting to run them meanwhile, as it would for a user.
        long started = System.nanoTime();
        Result queued = floe("invoke", "lines", "--async", "--payload-lines", file.toString());
        double ms = (System.nanoTime() - started) / 1e6;

        assertEquals(0, queued.status(), queued.err());
        List<String> ids = queued.out().lines().toList();
        assertEquals(events, ids.size());
        assertEquals(events, new HashSet<>(ids).size(), "every id is distinct");
        System.out.printf("floe invoke --async --payload-lines: %d events queued in %.0f ms (%.0f events/s)%n", events, ms, events * 1000 / ms);
        AsyncInvocation last = client.invocation(ids.getLast());
        assertEquals("{\"op\":\"echo\",\"i\":" + (events - 1) + "}", last.getPayload().toStringUtf8(), "ids come in the order of the lines");
        String first = awaitStatus(ids.getFirst(), "succeeded");
        assertTrue(first.contains("\"i\": 0"), first);
        client.deleteFunction("lines");
        assertTrue(client.deadLetters("lines", 10).stream().allMatch(i -> i.getDeadLetterReason().equals("function deleted")),
                "what had not run yet went to the dead-letter list with the delete");
    }

    @Test
    void aFailingEventIsListedByDlqWithItsReason() {
        String id = floe("invoke", "probe", "--async", "--payload", "{\"op\":\"error\"}").out().strip();

        awaitStatus(id, "dead-lettered");
        Result dlq = floe("dlq", "probe");
        assertEquals(0, dlq.status(), dlq.err());
        String row = dlq.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow(() -> new AssertionError(dlq.out()));
        assertTrue(row.contains("retries exhausted after 1 attempt"), row);
        assertTrue(floe("dlq", "probe", "--json").out().contains("\"invocationId\": \"" + id + "\""));
    }

    @Test
    void badLinesAndMisusedFlagsSayWhatWasExpected() throws IOException {
        Path file = Files.writeString(data.resolve("bad.jsonl"), "{\"ok\":1}\nnot json\n");
        Result bad = floe("invoke", "probe", "--async", "--payload-lines", file.toString());
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("line 2: not valid JSON"), bad.err());

        Result noAsync = floe("invoke", "probe", "--payload-lines", file.toString());
        assertEquals(2, noAsync.status());
        assertTrue(noAsync.err().contains("expected: --async with it"), noAsync.err());

        Result unknown = floe("invocation", "get", "no-such-id");
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().startsWith("floe: ResourceNotFoundException: invocation no-such-id not found"), unknown.err());

        Result missing = floe("invoke", "nope", "--async");
        assertEquals(1, missing.status());
        assertTrue(missing.err().startsWith("floe: ResourceNotFoundException"), missing.err());
    }
}
