package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.FunctionConfig;
import dev.floe.proto.Function;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a user of one function sees across invocations: cold, then warm on the same environment. */
class EnvironmentLifecycleTest {
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
    void coldStartThenWarmStartsOnTheSameEnvironmentKeepState() {
        Function probe = fixture.probe("counter", FunctionConfig.newBuilder());

        InvocationResult first = fixture.invoke(probe, "{\"op\":\"count\"}");
        InvocationResult second = fixture.invoke(probe, "{\"op\":\"count\"}");
        InvocationResult third = fixture.invoke(probe, "{\"op\":\"count\"}");

        assertEquals(1.0, fixture.json(first).get("count"), PoolFixture.body(first));
        assertEquals(2.0, fixture.json(second).get("count"));
        assertEquals(3.0, fixture.json(third).get("count"));
        assertTrue(first.cold());
        assertTrue(first.initDurationMs() > 0, "a cold start reports its init duration");
        assertFalse(second.cold());
        assertFalse(third.cold());
        assertEquals(0.0, second.initDurationMs());
        assertEquals(first.environmentId(), second.environmentId());
        assertEquals(first.environmentId(), third.environmentId());
        assertEquals(fixture.json(first).get("pid"), fixture.json(third).get("pid"));
    }

    @Test
    void theEnvironmentIsFrozenBetweenInvocationsAndThawedForTheNext() {
        Function probe = fixture.probe("freezer", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{}");

        fixture.awaitState(first.environmentId(), EnvironmentState.FROZEN);
        InvocationResult second = fixture.invoke(probe, "{}");

        assertEquals(first.environmentId(), second.environmentId());
        assertFalse(second.cold());
        assertEquals(2.0, fixture.json(second).get("count"));
        fixture.awaitState(first.environmentId(), EnvironmentState.FROZEN);
    }

    @Test
    void theRuntimeSeesLambdasVariablesAndNothingOfTheWorkers() {
        Function probe = fixture.probe("vars", FunctionConfig.newBuilder()
                .setHandler("index.handler").setMemoryMb(256).putEnvironment("GREETING", "hello"));

        Map<String, Object> env = fixture.json(fixture.invoke(probe, "{\"op\":\"env\"}"));

        assertEquals("index.handler", env.get("_HANDLER"));
        assertEquals("vars", env.get("AWS_LAMBDA_FUNCTION_NAME"));
        assertEquals("256", env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        assertEquals("1", env.get("AWS_LAMBDA_FUNCTION_VERSION"));
        assertEquals("/aws/lambda/vars", env.get("AWS_LAMBDA_LOG_GROUP_NAME"));
        assertTrue(((String) env.get("AWS_LAMBDA_LOG_STREAM_NAME")).contains("[1]"));
        assertEquals("us-east-1", env.get("AWS_REGION"));
        assertEquals(":UTC", env.get("TZ"), "as Lambda sets it");
        // Lambda's /var/runtime where the environment has a mount namespace; without one, the code's root.
        assertTrue(java.util.List.of("/var/runtime", env.get("LAMBDA_TASK_ROOT")).contains(env.get("LAMBDA_RUNTIME_DIR")),
                "LAMBDA_RUNTIME_DIR: " + env.get("LAMBDA_RUNTIME_DIR"));
        assertEquals("en_US.UTF-8", env.get("LANG"));
        assertTrue(((String) env.get("PATH")).startsWith("/usr/local/bin:"));
        assertTrue(((String) env.get("LD_LIBRARY_PATH")).contains((String) env.get("LAMBDA_TASK_ROOT")));
        assertTrue(((String) env.get("AWS_LAMBDA_RUNTIME_API")).startsWith("127.0.0.1:"));
        assertEquals("hello", env.get("GREETING"));
        assertFalse(env.containsKey("JAVA_HOME"), "nothing leaks from the worker's environment");
        assertFalse(env.containsKey("HOME"));
    }

    @Test
    void eachEnvironmentHasItsOwnRuntimeApiEndpoint() {
        Function a = fixture.probe("a", FunctionConfig.newBuilder());
        Function b = fixture.probe("b", FunctionConfig.newBuilder());

        String endpointA = (String) fixture.json(fixture.invoke(a, "{\"op\":\"env\"}")).get("AWS_LAMBDA_RUNTIME_API");
        String endpointB = (String) fixture.json(fixture.invoke(b, "{\"op\":\"env\"}")).get("AWS_LAMBDA_RUNTIME_API");

        assertNotEquals(endpointA, endpointB);
    }

    @Test
    void tmpPersistsWithinAnEnvironmentAndIsPrivateToIt() {
        Function writer = fixture.probe("tmp-writer", FunctionConfig.newBuilder());
        Function reader = fixture.probe("tmp-reader", FunctionConfig.newBuilder());

        InvocationResult wrote = fixture.invoke(writer, "{\"op\":\"tmp-write\",\"mb\":2}");
        InvocationResult readBack = fixture.invoke(writer, "{\"op\":\"tmp-read\"}");
        InvocationResult elsewhere = fixture.invoke(reader, "{\"op\":\"self\"}");

        assertEquals(wrote.environmentId(), readBack.environmentId());
        assertEquals(Boolean.TRUE, fixture.json(readBack).get("exists"), PoolFixture.body(readBack));
        assertEquals(2.0 * 1024 * 1024, fixture.json(readBack).get("size"));
        assertEquals(java.util.List.of(), fixture.json(elsewhere).get("tmp_entries"), "another environment's /tmp is empty");
        if (!fixture.sandbox.info().tmp().equals("tmpdir")) {
            double bytes = (Double) fixture.json(elsewhere).get("tmp_bytes");
            assertTrue(bytes >= 512.0 * 1024 * 1024 * 0.97, "a /tmp of the function's size: " + bytes);
            assertEquals("0o1777", fixture.json(elsewhere).get("tmp_mode"));
        }
    }

    @Test
    void theInvocationCarriesLambdasHeaders() {
        Function probe = fixture.probe("headers", FunctionConfig.newBuilder().setTimeoutSeconds(7));
        long before = System.currentTimeMillis();

        InvocationResult result = fixture.invoke(probe, "{\"op\":\"echo\",\"x\":1}");

        @SuppressWarnings("unchecked")
        Map<String, String> headers = (Map<String, String>) fixture.json(result).get("headers");
        assertEquals(result.requestId(), headers.get("Lambda-Runtime-Aws-Request-Id"));
        long deadline = Long.parseLong(headers.get("Lambda-Runtime-Deadline-Ms"));
        assertTrue(deadline >= before + 7_000 && deadline <= System.currentTimeMillis() + 7_000, "deadline " + deadline);
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:headers", headers.get("Lambda-Runtime-Invoked-Function-Arn"));
        assertTrue(headers.get("Lambda-Runtime-Trace-Id").matches("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0"),
                headers.get("Lambda-Runtime-Trace-Id"));
    }
}
