package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.worker.environment.javafn.Counter;
import dev.floe.worker.environment.javafn.Shouter;
import java.io.IOException;
import java.io.InputStream;
import dev.floe.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The java25 and java21 runtimes: the real runtime interface client (its native part included) runs
 * handlers written against aws-lambda-java-core, packaged as classes at the root of the package.
 */
class JavaRuntimeTest {
    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    /** The handler classes as a function package, as a jar of them would unpack. */
    static byte[] handlers() {
        return CodePackages.zip(List.of(classEntry(Counter.class), classEntry(Shouter.class)));
    }

    private Function deploy(String runtime, String name, String handler, int timeoutSeconds) {
        return fixture.deploy(name, handlers(), FunctionConfig.newBuilder().setRuntime(runtime).setHandler(handler)
                .setMemoryMb(512).setTimeoutSeconds(timeoutSeconds));
    }

    @ParameterizedTest
    @ValueSource(strings = {"java25", "java21"})
    void aRequestHandlerKeepsItsStateInAWarmEnvironment(String runtime) {
        Function function = deploy(runtime, "counter", Counter.class.getName(), 10);

        InvocationResult first = fixture.invoke(function, "{\"text\":\"hi\"}");
        fixture.awaitWarm(first.environmentId());
        InvocationResult second = fixture.invokeAsync(function, "{}", true).join();

        assertEquals("", first.functionError(), PoolFixture.body(first));
        Map<String, Object> body = fixture.json(first);
        assertEquals(1.0, body.get("count"));
        assertEquals(first.requestId(), body.get("requestId"));
        assertEquals("counter", body.get("function"));
        assertEquals(512.0, body.get("memory"));
        assertTrue(((Number) body.get("remaining")).doubleValue() > 5000, body.toString());
        assertFalse(second.cold());
        assertEquals(2.0, fixture.json(second).get("count"));
        assertTrue(second.logTail().contains("counted 2"), second.logTail());
    }

    @Test
    void afterTheFirstColdStartJavaEnvironmentsMapTheRuntimesClassArchive() {
        Function first = deploy("java25", "first", Counter.class.getName(), 10);
        // AOTMode=on: a JVM that cannot map the cache it is given does not start, so the invocation fails.
        Function later = fixture.deploy("later", handlers(), FunctionConfig.newBuilder().setRuntime("java25")
                .setHandler(Counter.class.getName()).setMemoryMb(512).setTimeoutSeconds(10)
                .putEnvironment("JAVA_TOOL_OPTIONS", "-XX:AOTMode=on"));
        Path archive = fixture.data.resolve("runtimes/java/runtime.aot");

        InvocationResult before = fixture.invoke(first, "{}");
        Await.until(Duration.ofSeconds(60), "the class archive", () -> Files.isRegularFile(archive));
        InvocationResult after = fixture.invoke(later, "{}");

        assertFalse(String.valueOf(fixture.json(before).get("jvmArguments")).contains("AOTCache"));
        assertTrue(String.valueOf(fixture.json(after).get("jvmArguments")).contains("-XX:AOTCache="
                + fixture.sandbox.runtimeRoot(archive.getParent()).resolve("runtime.aot")), fixture.json(after).toString());
        assertEquals("", after.functionError(), PoolFixture.body(after));
        assertEquals(1.0, fixture.json(after).get("count"));
    }

    @Test
    void streamAndMethodHandlersRun() {
        Function stream = deploy("java25", "shouter", Shouter.class.getName(), 10);
        Function method = deploy("java25", "greeter", Shouter.class.getName() + "::greet", 10);

        assertEquals("\"QUIET\"", PoolFixture.body(fixture.invoke(stream, "\"quiet\"")));
        assertEquals("\"hello floe\"", PoolFixture.body(fixture.invoke(method, "\"floe\"")));
    }

    @Test
    void anExceptionIsReportedWithItsClassMessageAndStack() {
        Function function = deploy("java25", "failing", Counter.class.getName(), 10);

        InvocationResult failed = fixture.invoke(function, "{\"op\":\"fail\",\"why\":\"no name\"}");

        assertEquals("Unhandled", failed.functionError());
        Map<String, Object> error = fixture.json(failed);
        assertEquals("java.lang.IllegalArgumentException", error.get("errorType"), error.toString());
        assertEquals("bad input: no name", error.get("errorMessage"));
        assertTrue(String.valueOf(error.get("stackTrace")).contains("Counter.handleRequest"), error.toString());
    }

    @Test
    void aCrashIsAnExitErrorAndATimeoutStopsTheHandler() {
        Function crashing = deploy("java25", "crashing", Counter.class.getName(), 10);
        Function sleepy = deploy("java25", "sleepy", Counter.class.getName(), 1);

        InvocationResult crashed = fixture.invoke(crashing, "{\"op\":\"crash\"}");
        InvocationResult timedOut = fixture.invoke(sleepy, "{\"op\":\"sleep\",\"seconds\":5}");

        assertEquals("Runtime.ExitError", crashed.errorType(), PoolFixture.body(crashed));
        assertTrue(PoolFixture.body(crashed).contains("exit status 7"), PoolFixture.body(crashed));
        assertEquals("Sandbox.Timedout", timedOut.errorType());
    }

    @Test
    void aMissingClassIsAnInitError() {
        Function function = deploy("java25", "missing", "example.Absent::handleRequest", 10);

        InvocationResult result = fixture.invoke(function, "{}");

        assertEquals("Unhandled", result.functionError());
        assertTrue(PoolFixture.body(result).contains("example.Absent"), PoolFixture.body(result));
    }

    private static CodePackages.Entry classEntry(Class<?> type) {
        String name = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(name)) {
            return new CodePackages.Entry(name, in.readAllBytes(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
