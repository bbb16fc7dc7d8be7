package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A function abusing its environment (forking without end, eating memory, filling /tmp, closing its
 * output, ignoring SIGTERM) harms only that environment: a neighbour on the same worker keeps serving
 * warm throughout, the abuser gets Lambda's error and is retired with every process it made.
 */
class EnvironmentAbuseTest {
    private PoolFixture fixture;
    private Function neighbour;
    private InvocationResult neighbourFirst;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
        neighbour = fixture.probe("neighbour", FunctionConfig.newBuilder());
        neighbourFirst = fixture.invoke(neighbour, "{\"op\":\"count\"}");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aForkBombStopsAtThePidsLimitTimesOutAndIsRetiredWhileItsNeighbourForksFreely() {
        // 1,024 shells' kernel stacks and page tables are charged to the environment's memory; with
        // 128 MB that limit can strike first on some kernels, so the bomb gets room to meet its pids limit.
        Function bomb = fixture.probe("bomb", FunctionConfig.newBuilder().setTimeoutSeconds(3).setMemoryMb(1024));
        CompletableFuture<InvocationResult> bombing = fixture.invokeAsync(bomb,
                "{\"op\":\"sh\",\"command\":\"b() { b | b & }; b; sleep 30\"}", false);
        fixture.awaitBusy(bomb);

        InvocationResult during = fixture.invoke(neighbour, "{\"op\":\"sh\",\"command\":\"echo still forking\"}");
        InvocationResult result = bombing.join();

        assertEquals("", during.functionError(), PoolFixture.body(during));
        assertTrue(PoolFixture.body(during).contains("still forking"), PoolFixture.body(during));
        assertEquals("Sandbox.Timedout", result.errorType(), PoolFixture.body(result));
        fixture.awaitState(result.environmentId(), EnvironmentState.RETIRED);
        Processes.assertNoneLeft("b | b", Duration.ofSeconds(10));
        assertTrue(fixture.invoke(bomb, "{\"op\":\"count\"}").cold(), "the bomb's function simply cold-starts again");
        assertNeighbourWarm();
    }

    @Test
    void eatingMemoryOrFillingTmpHarmsOnlyTheAbuser() {
        Function eater = fixture.probe("eater", FunctionConfig.newBuilder().setMemoryMb(128));
        InvocationResult eaten = fixture.invoke(eater, "{\"op\":\"alloc\",\"mb\":400}");
        assertEquals("Runtime.OutOfMemory", eaten.errorType(), PoolFixture.body(eaten));
        fixture.awaitState(eaten.environmentId(), EnvironmentState.RETIRED);
        assertNeighbourWarm();

        Function filler = fixture.probe("filler", FunctionConfig.newBuilder().setTmpMb(512));
        InvocationResult filled = fixture.invoke(filler, "{\"op\":\"tmp-write\",\"mb\":600}");
        assertEquals("Unhandled", filled.functionError());
        assertTrue(PoolFixture.body(filled).contains("No space left on device"), PoolFixture.body(filled));
        InvocationResult tmp = fixture.invoke(neighbour, "{\"op\":\"self\"}");
        assertTrue(((Number) fixture.json(tmp).get("tmp_free")).longValue() > 400L << 20,
                "the neighbour's /tmp is its own: " + fixture.json(tmp).get("tmp_free"));
        assertNeighbourWarm();
    }

    @Test
    void aRuntimeClosingItsOutputKeepsServingAndItsLogEndsQuietly() {
        Function mute = fixture.probe("mute", FunctionConfig.newBuilder());
        InvocationResult closed = fixture.invoke(mute, "{\"op\":\"close-output\"}");
        assertEquals("", closed.functionError(), PoolFixture.body(closed));

        InvocationResult printing = fixture.invoke(mute, "{\"op\":\"log\",\"lines\":[\"into the void\"]}");
        InvocationResult after = fixture.invoke(mute, "{\"op\":\"count\"}");

        assertEquals("Unhandled", printing.functionError(), "printing to a closed stdout fails in the function: "
                + PoolFixture.body(printing));
        assertEquals(closed.environmentId(), after.environmentId(), "and the environment keeps serving");
        assertFalse(after.cold());
        assertEquals(1.0, fixture.json(after).get("count"), "the runtime kept its state");
        assertNeighbourWarm();
    }

    /**
     * Issue 10, item 8: the log's cap holds while a function writes as fast as it can (it used to reach
     * hundreds of MB before a cut after the invocation), what is dropped is counted, and the
     * invocation's END and REPORT lines are there.
     */
    @Test
    void aFunctionFloodingItsLogStaysWithinTheCapAndKeepsItsEndAndReportLines() throws Exception {
        Function flood = fixture.probe("flood", FunctionConfig.newBuilder().setTimeoutSeconds(60));
        String first = fixture.invoke(flood, "{\"op\":\"count\"}").environmentId();
        Path log = fixture.sandbox.environmentsDir().resolve(first).resolve("log");
        String requestId = java.util.UUID.randomUUID().toString();
        long floodBytes = 4 * EnvironmentLog.MAX_BYTES;

        CompletableFuture<InvocationResult> flooding = fixture.invokeAsync(flood,
                "{\"op\":\"flood\",\"mb\":" + (floodBytes >> 20) + "}", true, requestId);
        long peak = 0;
        while (!flooding.isDone()) {
            // Sampled throughout: the cap holds while the bytes arrive, not only once the invocation ends.
            peak = Math.max(peak, Files.size(log));
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        InvocationResult flooded = flooding.join();
        String text = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
        long written = ((Number) fixture.json(flooded).get("written")).longValue();
        long dropped = (long) fixture.metrics.registry().get("floe.worker.log.dropped").counter().count();
        System.out.printf("log cap: written %d MB in %.0f ms, kept %d MB (cap %d MB), peak file %d bytes, dropped %d MB%n",
                written >> 20, flooded.durationMs(), Files.size(log) >> 20, EnvironmentLog.MAX_BYTES >> 20, peak, dropped >> 20);

        assertEquals("", flooded.functionError(), PoolFixture.body(flooded));
        assertEquals(first, flooded.environmentId());
        assertTrue(written >= floodBytes, "written: " + written);
        long bound = EnvironmentLog.MAX_BYTES + 4096;
        assertTrue(peak <= bound && Files.size(log) <= bound, "the log stays within its cap: peak " + peak
                + ", now " + Files.size(log) + " (expected at most " + bound + ")");
        assertTrue(text.contains("START RequestId: " + requestId), "START is kept");
        assertTrue(text.contains("\nEND RequestId: " + requestId + "\nREPORT RequestId: " + requestId), "END and REPORT are kept");
        assertTrue(flooded.logTail().contains("REPORT RequestId: " + requestId), flooded.logTail());
        assertTrue(text.contains("[floe] " + dropped + " bytes of output were dropped"),
                "the log says how much was dropped: " + text.substring(Math.max(0, text.length() - 600)));
        assertTrue(dropped >= written - EnvironmentLog.MAX_BYTES, "counted: " + dropped + " of " + written);

        InvocationResult after = fixture.invokeAsync(flood, "{\"op\":\"log\",\"lines\":[\"after the flood\"]}", true).join();
        assertEquals(first, after.environmentId());
        assertTrue(after.logTail().contains("after the flood\nEND RequestId: " + after.requestId()), after.logTail());
        assertTrue(Files.size(log) < 4096, "the next invocation starts the log again: " + Files.size(log));
        assertNeighbourWarm();
    }

    @Test
    void processesIgnoringSigtermAreStillStoppedWhenTheEnvironmentIsRetired() {
        java.util.Set<Long> before = descendants();
        Function stubborn = fixture.probe("stubborn", FunctionConfig.newBuilder());
        fixture.json(fixture.invoke(stubborn, "{\"op\":\"ignore-term\"}"));
        InvocationResult spawned = fixture.invoke(stubborn, "{\"op\":\"sh\",\"command\":\"setsid sh -c \\\"trap '' TERM INT HUP;"
                + " while :; do sleep 1; done\\\" >/dev/null 2>&1 & echo $!\"}");
        assertTrue(!((String) fixture.json(spawned).get("out")).isBlank(), "the stubborn child runs");
        // The environment's processes as the machine numbers them (inside, its PID namespace numbers them from 1).
        java.util.Set<Long> environment = descendants();
        environment.removeAll(before);
        assertTrue(environment.size() >= 3, "the runtime and the stubborn child: " + environment);

        fixture.pool.retireFunction("stubborn", java.util.Set.of());

        fixture.awaitState(spawned.environmentId(), EnvironmentState.RETIRED);
        for (long pid : environment) {
            Await.until(Duration.ofSeconds(5), "process " + pid + " ignoring SIGTERM is gone",
                    () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) || Processes.state(pid) == 'Z');
        }
        assertNeighbourWarm();
    }

    private static java.util.Set<Long> descendants() {
        return ProcessHandle.current().descendants().map(ProcessHandle::pid)
                .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }

    private void assertNeighbourWarm() {
        InvocationResult now = fixture.invoke(neighbour, "{\"op\":\"count\"}");
        assertFalse(now.cold(), "the neighbour stays warm");
        assertEquals(neighbourFirst.environmentId(), now.environmentId(), "in the same environment");
        assertEquals("", now.functionError(), PoolFixture.body(now));
    }
}
