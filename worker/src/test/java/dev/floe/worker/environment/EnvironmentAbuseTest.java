package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
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
