package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.floe.common.CodePackages;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The python3 and nodejs runtimes on a real sandbox: a handler's state survives between invocations of a
 * warm environment, its context is Lambda's, and its errors, crashes, timeouts and init failures reach the
 * caller as Lambda reports them.
 */
class ScriptRuntimesTest {
    /** The same counting handler in each language, with Lambda's usual handler names. */
    enum Language {
        PYTHON("python3", "/usr/bin/python3", "app.handler", Map.of("app.py", """
                import os, time
                count = 0
                def handler(event, context):
                    global count
                    count += 1
                    op = event.get("op")
                    if op == "fail":
                        raise ValueError("bad input: " + str(event.get("why")))
                    if op == "crash":
                        os._exit(7)
                    if op == "sleep":
                        time.sleep(event["seconds"])
                    print("counted", count)
                    return {"count": count, "requestId": context.aws_request_id, "function": context.function_name,
                            "memory": int(context.memory_limit_in_mb), "remaining": context.get_remaining_time_in_millis(),
                            "runtimeDir": os.environ["LAMBDA_RUNTIME_DIR"], "env": os.environ["AWS_EXECUTION_ENV"]}
                """), "ValueError", "app.py", "stackTrace"),
        NODE_ASYNC("nodejs", "/usr/bin/node", "app.handler", Map.of("app.js", """
                let count = 0;
                exports.handler = async (event, context) => {
                  count += 1;
                  if (event.op === 'fail') throw new TypeError('bad input: ' + event.why);
                  if (event.op === 'crash') process.exit(7);
                  if (event.op === 'sleep') await new Promise((r) => setTimeout(r, event.seconds * 1000));
                  console.log('counted', count);
                  return { count, requestId: context.awsRequestId, function: context.functionName,
                           memory: Number(context.memoryLimitInMB), remaining: context.getRemainingTimeInMillis(),
                           runtimeDir: process.env.LAMBDA_RUNTIME_DIR, env: process.env.AWS_EXECUTION_ENV };
                };
                """), "TypeError", "app.js", "trace"),
        NODE_CALLBACK_ESM("nodejs", "/usr/bin/node", "lib/cb.handler", Map.of("lib/cb.mjs", """
                let count = 0;
                export function handler(event, context, callback) {
                  count += 1;
                  if (event.op === 'fail') return callback(new RangeError('bad input: ' + event.why));
                  if (event.op === 'crash') process.exit(7);
                  setTimeout(() => {
                    console.log('counted', count);
                    callback(null, { count, requestId: context.awsRequestId, function: context.functionName,
                                     memory: Number(context.memoryLimitInMB), remaining: context.getRemainingTimeInMillis(),
                                     runtimeDir: process.env.LAMBDA_RUNTIME_DIR, env: process.env.AWS_EXECUTION_ENV });
                  }, (event.seconds || 0) * 1000);
                }
                """), "RangeError", "cb.mjs", "trace");

        final String runtime;
        final String interpreter;
        final String handler;
        final Map<String, String> files;
        final String errorType;
        final String source;
        final String traceField;

        Language(String runtime, String interpreter, String handler, Map<String, String> files, String errorType,
                 String source, String traceField) {
            this.runtime = runtime;
            this.interpreter = interpreter;
            this.handler = handler;
            this.files = files;
            this.errorType = errorType;
            this.source = source;
            this.traceField = traceField;
        }
    }

    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private Function deploy(Language language, String name, int timeoutSeconds) {
        assumeTrue(Files.isExecutable(Path.of(language.interpreter)), language.interpreter + " is not installed");
        return fixture.deploy(name, CodePackages.zipFiles(language.files), FunctionConfig.newBuilder()
                .setRuntime(language.runtime).setHandler(language.handler).setTimeoutSeconds(timeoutSeconds));
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void aWarmEnvironmentKeepsTheHandlersStateAndTheContextIsLambdas(Language language) {
        Function function = deploy(language, "counter", 3);
        String requestId = UUID.randomUUID().toString();

        InvocationResult first = fixture.invokeAsync(function, "{}", false, requestId).join();
        fixture.awaitWarm(first.environmentId());
        InvocationResult second = fixture.invokeAsync(function, "{}", true).join();

        assertEquals("", first.functionError(), PoolFixture.body(first));
        assertTrue(first.cold());
        Map<String, Object> body = fixture.json(first);
        assertEquals(1.0, body.get("count"));
        assertEquals(requestId, body.get("requestId"));
        assertEquals("counter", body.get("function"));
        assertEquals(128.0, body.get("memory"));
        double remaining = ((Number) body.get("remaining")).doubleValue();
        assertTrue(remaining > 1000 && remaining <= 3000, "remaining " + remaining);
        assertEquals(fixture.sandbox.runtimeRoot(fixture.data.resolve("runtimes").resolve(language.runtime)).toString(),
                body.get("runtimeDir"));
        assertTrue(((String) body.get("env")).startsWith("AWS_Lambda_" + language.runtime), body.toString());
        assertFalse(second.cold(), "the second invocation is warm");
        assertEquals(first.environmentId(), second.environmentId());
        assertEquals(2.0, fixture.json(second).get("count"), "module state survives between invocations");
        assertTrue(second.logTail().contains("counted 2"), second.logTail());
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void anErrorTheHandlerThrowsIsReportedWithItsTypeMessageAndStack(Language language) {
        Function function = deploy(language, "failing", 3);
        fixture.awaitWarm(fixture.invoke(function, "{}").environmentId());

        InvocationResult failed = fixture.invoke(function, "{\"op\":\"fail\",\"why\":\"no name\"}");
        fixture.awaitWarm(failed.environmentId());

        assertEquals("Unhandled", failed.functionError());
        assertEquals(language.errorType, failed.errorType());
        Map<String, Object> error = fixture.json(failed);
        assertEquals(language.errorType, error.get("errorType"));
        assertEquals("bad input: no name", error.get("errorMessage"));
        assertTrue(String.valueOf(error.get(language.traceField)).contains(language.source), error.toString());
        InvocationResult after = fixture.invoke(function, "{}");
        assertFalse(after.cold(), "a handled error keeps the environment");
        assertEquals(3.0, fixture.json(after).get("count"));
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void aCrashIsAnExitErrorAndTheNextInvocationStartsCold(Language language) {
        Function function = deploy(language, "crashing", 3);
        fixture.awaitWarm(fixture.invoke(function, "{}").environmentId());

        InvocationResult crashed = fixture.invoke(function, "{\"op\":\"crash\"}");

        assertEquals("Runtime.ExitError", crashed.errorType());
        assertTrue(PoolFixture.body(crashed).contains("exit status 7"), PoolFixture.body(crashed));
        InvocationResult next = fixture.invoke(function, "{}");
        assertTrue(next.cold());
        assertEquals(1.0, fixture.json(next).get("count"));
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void aHandlerPastItsTimeoutIsStopped(Language language) {
        Function function = deploy(language, "sleepy", 1);

        InvocationResult result = fixture.invoke(function, "{\"op\":\"sleep\",\"seconds\":5}");

        assertEquals("Sandbox.Timedout", result.errorType());
        assertTrue(PoolFixture.body(result).contains("Task timed out after 1.00 seconds"), PoolFixture.body(result));
    }

    @ParameterizedTest
    @EnumSource(value = Language.class, names = {"PYTHON", "NODE_ASYNC"})
    void initErrorsAreLambdasRuntimeErrors(Language language) {
        Map<String, String> cases = Map.of(
                "missing.handler", "Runtime.ImportModuleError",
                "app.absent", "Runtime.HandlerNotFound",
                "nodot", "Runtime.MalformedHandlerName");
        for (var c : cases.entrySet()) {
            assumeTrue(Files.isExecutable(Path.of(language.interpreter)), language.interpreter + " is not installed");
            Function function = fixture.deploy("init-" + c.getValue().replace('.', '-'), CodePackages.zipFiles(language.files),
                    FunctionConfig.newBuilder().setRuntime(language.runtime).setHandler(c.getKey()));

            InvocationResult result = fixture.invoke(function, "{}");

            assertEquals("Unhandled", result.functionError(), c.getKey());
            assertEquals(c.getValue(), result.errorType(), c.getKey() + ": " + PoolFixture.body(result));
            assertTrue(fixture.json(result).get("errorMessage") instanceof String s && !s.isEmpty(), PoolFixture.body(result));
        }
    }
}
