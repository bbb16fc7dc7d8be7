package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way an invocation can fail as Lambda reports it, and, after each, a worker that simply
 * cold-starts the next invocation.
 */
class EnvironmentFailureTest {
    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aTimeoutKillsTheEnvironmentAndEveryProcessInIt() throws Exception {
        Function probe = fixture.probe("slow", FunctionConfig.newBuilder().setTimeoutSeconds(1));
        Path ticks = fixture.scratch.resolve("ticks");
        InvocationResult spawned = fixture.invoke(probe, "{\"op\":\"spawn\",\"path\":\"" + ticks + "\",\"new_session\":true}");
        long backgroundPid = dev.floe.testing.Processes.hostPid(spawned.environmentId(),
                ((Number) fixture.json(spawned).get("pid")).longValue());

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"sleep\",\"seconds\":5}");

        assertEquals("Unhandled", result.functionError());
        assertEquals("Sandbox.Timedout", result.errorType());
        assertTrue(PoolFixture.body(result).contains("Task timed out after 1.00 seconds"), PoolFixture.body(result));
        assertTrue(result.durationMs() >= 1000 && result.durationMs() < 2000, "duration " + result.durationMs());
        fixture.awaitState(spawned.environmentId(), EnvironmentState.RETIRED);
        assertEquals("timeout", fixture.lastView(spawned.environmentId()).retireReason());
        Await.until(Duration.ofSeconds(5), "the background process (in its own session) is killed too",
                () -> !ProcessHandle.of(backgroundPid).map(ProcessHandle::isAlive).orElse(false)
                        || Processes.state(backgroundPid) == 'Z');
        InvocationResult next = fixture.invoke(probe, "{\"op\":\"count\"}");
        assertTrue(next.cold());
        assertEquals(1.0, fixture.json(next).get("count"));
    }

    @Test
    void aRuntimeThatAnswersButNeverAsksForMoreIsStoppedAtTheTimeout() {
        Function probe = fixture.probe("lingering", FunctionConfig.newBuilder().setTimeoutSeconds(1));

        InvocationResult answered = fixture.invoke(probe, "{\"op\":\"linger\",\"seconds\":60}");

        assertEquals("", answered.functionError(), "the answer itself reaches the caller");
        fixture.awaitState(answered.environmentId(), EnvironmentState.RETIRED);
        assertEquals("timeout", fixture.lastView(answered.environmentId()).retireReason());
        assertEquals(0, fixture.pool.memoryReservedMb(), "its memory is free again");
        assertTrue(fixture.invoke(probe, "{}").cold());
    }

    @Test
    void aCrashIsAnExitErrorWithTheExitStatus() {
        Function probe = fixture.probe("crashy", FunctionConfig.newBuilder());
        InvocationResult warmup = fixture.invoke(probe, "{}");

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"crash\",\"code\":3}");

        assertEquals("Unhandled", result.functionError());
        assertEquals("Runtime.ExitError", result.errorType());
        assertTrue(PoolFixture.body(result).contains("Runtime exited with error: exit status 3"), PoolFixture.body(result));
        assertTrue(PoolFixture.body(result).contains("RequestId: " + result.requestId()));
        InvocationResult next = fixture.invoke(probe, "{}");
        assertTrue(next.cold());
        assertNotEquals(warmup.environmentId(), next.environmentId());
    }

    @Test
    void aHandledErrorIsReportedAsTheRuntimePostedIt() {
        Function probe = fixture.probe("erring", FunctionConfig.newBuilder());

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"error\",\"message\":\"bad input\"}");

        assertEquals("Unhandled", result.functionError());
        assertEquals("ProbeError", result.errorType());
        assertEquals("bad input", fixture.json(result).get("errorMessage"));
        InvocationResult next = fixture.invoke(probe, "{}");
        assertFalse(next.cold(), "a function error leaves the environment in service");
        assertEquals(result.environmentId(), next.environmentId());
    }

    @Test
    void anInitErrorPostedByTheRuntimeFailsTheFirstInvocation() {
        Function probe = fixture.probe("init-error", FunctionConfig.newBuilder().putEnvironment("PROBE_INIT", "error"));

        InvocationResult result = fixture.invoke(probe, "{}");

        assertEquals("Unhandled", result.functionError());
        assertEquals("Probe.InitFailed", result.errorType());
        assertEquals("init failed on purpose", fixture.json(result).get("errorMessage"));
        assertTrue(result.cold());
        fixture.awaitState(result.environmentId(), EnvironmentState.RETIRED);
    }

    @Test
    void aRuntimeDyingDuringInitIsAnExitError() {
        Function probe = fixture.probe("init-crash", FunctionConfig.newBuilder().putEnvironment("PROBE_INIT", "crash"));

        InvocationResult result = fixture.invoke(probe, "{}");

        assertEquals("Runtime.ExitError", result.errorType());
        assertTrue(PoolFixture.body(result).contains("exit status 7"), PoolFixture.body(result));
    }

    @Test
    void aPackageWithoutBootstrapIsAnInvalidEntrypoint() {
        Function broken = fixture.deploy("no-bootstrap",
                dev.floe.common.CodePackages.zipFiles(java.util.Map.of("handler.py", "print(1)")), FunctionConfig.newBuilder());

        InvocationResult result = fixture.invoke(broken, "{}");

        assertEquals("Runtime.InvalidEntrypoint", result.errorType());
        assertTrue(PoolFixture.body(result).contains("Couldn't find valid bootstrap"), PoolFixture.body(result));
    }

    @Test
    void exceedingTheMemorySizeKillsTheEnvironment() {
        org.junit.jupiter.api.Assumptions.assumeFalse(fixture.sandbox.info().memoryLimit().equals("none"),
                "this machine offers no memory cgroup");
        Function probe = fixture.probe("hungry", FunctionConfig.newBuilder().setMemoryMb(128));
        InvocationResult fine = fixture.invoke(probe, "{\"op\":\"alloc\",\"mb\":32}");
        assertEquals("", fine.functionError(), PoolFixture.body(fine));
        assertTrue(fine.maxMemoryUsedMb() >= 32, "max memory used " + fine.maxMemoryUsedMb());

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"alloc\",\"mb\":400}");

        assertEquals("Runtime.OutOfMemory", result.errorType(), PoolFixture.body(result));
        assertTrue(PoolFixture.body(result).contains("signal: killed"), PoolFixture.body(result));
        assertTrue(fixture.invoke(probe, "{}").cold());
    }

    @Test
    void aChildExceedingTheMemorySizeFailsTheInvocationAndEndsTheEnvironment() {
        org.junit.jupiter.api.Assumptions.assumeFalse(fixture.sandbox.info().memoryLimit().equals("none"),
                "this machine offers no memory cgroup");
        Function probe = fixture.probe("hungry-child", FunctionConfig.newBuilder().setMemoryMb(128));

        InvocationResult result = fixture.invoke(probe,
                "{\"op\":\"sh\",\"command\":\"python3 -c 'x = b\\\"x\\\" * (400 * 1024 * 1024)'\"}");

        assertEquals("Runtime.OutOfMemory", result.errorType(), "the runtime survived its child, the invocation did not: "
                + PoolFixture.body(result));
        fixture.awaitState(result.environmentId(), EnvironmentState.RETIRED);
        assertEquals("out-of-memory", fixture.lastView(result.environmentId()).retireReason());
        assertTrue(fixture.invoke(probe, "{}").cold());
    }

    @Test
    void writingPastTmpFailsInsideTheFunctionOnly() {
        Function probe = fixture.probe("filler", FunctionConfig.newBuilder().setTmpMb(512).setTimeoutSeconds(60));
        InvocationResult most = fixture.invoke(probe, "{\"op\":\"tmp-write\",\"mb\":500}");
        assertEquals("", most.functionError(), PoolFixture.body(most));

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"tmp-write\",\"mb\":100}");

        assertEquals("Unhandled", result.functionError());
        assertTrue(PoolFixture.body(result).contains("No space left on device"), PoolFixture.body(result));
        InvocationResult next = fixture.invoke(probe, "{\"op\":\"count\"}");
        assertFalse(next.cold(), "a full /tmp harms nothing else: the environment keeps serving");
    }

    @Test
    void aResponseOverSixMegabytesIsRefusedAndTheEnvironmentKeepsServing() {
        Function probe = fixture.probe("big", FunctionConfig.newBuilder().setMemoryMb(512));

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"big\",\"bytes\":7000000}");

        assertEquals("Function.ResponseSizeTooLarge", result.errorType(), PoolFixture.body(result));
        InvocationResult small = fixture.invoke(probe, "{\"op\":\"big\",\"bytes\":1000}");
        assertEquals("", small.functionError());
        assertEquals(1002, small.payload().length);
    }

    @Test
    void theTaskRootIsReadOnly() {
        org.junit.jupiter.api.Assumptions.assumeFalse(fixture.sandbox.info().tmp().equals("tmpdir"),
                "without mount privileges the task root is only read-only by its file modes");
        Function probe = fixture.probe("writer", FunctionConfig.newBuilder());
        String root = (String) fixture.json(fixture.invoke(probe, "{\"op\":\"env\"}")).get("LAMBDA_TASK_ROOT");

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"write-file\",\"path\":\"" + root + "/x\"}");

        String error = PoolFixture.body(result);
        assertTrue(error.contains("Read-only file system") || error.contains("Permission denied"), error);
    }
}
