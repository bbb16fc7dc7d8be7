package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.floe.common.CodePackages;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bash custom runtime of Lambda's "Tutorial - Publishing a custom runtime" (a {@code #!/bin/sh}
 * bootstrap with {@code set -euo pipefail} and {@code source}, calling the Runtime API with curl) runs
 * unchanged as {@code provided}.
 */
class TutorialRuntimeTest {
    private PoolFixture fixture;
    private Function function;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")),
                "curl is not installed: the tutorial's bootstrap calls the Runtime API with it (apt-get install curl)");
        fixture = PoolFixture.standard();
        function = fixture.deploy("tutorial", CodePackages.zipFiles(Map.of("bootstrap", resource("bootstrap"),
                "function.sh", resource("function.sh"))), FunctionConfig.newBuilder()
                .setRuntime("provided.al2023").setHandler("function.handler").setTimeoutSeconds(1));
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void theTutorialsRuntimeEchoesEventsInAWarmEnvironment() {
        InvocationResult first = fixture.invoke(function, "{\"text\":\"hello\"}");
        // The loop runs a few programs between answering and asking again: an invocation sent sooner starts another.
        fixture.awaitWarm(first.environmentId());
        InvocationResult second = fixture.invokeAsync(function, "{\"text\":\"again\"}", true).join();

        assertEquals("", first.functionError(), PoolFixture.body(first));
        assertEquals("Echoing request: '{\"text\":\"hello\"}' (1)", PoolFixture.body(first));
        assertFalse(second.cold());
        assertEquals(first.environmentId(), second.environmentId());
        assertEquals("Echoing request: '{\"text\":\"again\"}' (2)", PoolFixture.body(second), "its /tmp is kept");
        assertTrue(second.logTail().contains("{\"text\":\"again\"}"), "what the handler writes to stderr is logged: "
                + second.logTail());
    }

    @Test
    void anErrorTheHandlerReportsReachesTheCallerAndTheEnvironmentStays() {
        InvocationResult first = fixture.invoke(function, "{}");
        fixture.awaitWarm(first.environmentId());

        InvocationResult failed = fixture.invoke(function, "{\"op\":\"fail\"}");
        fixture.awaitWarm(failed.environmentId());
        InvocationResult after = fixture.invoke(function, "{}");

        assertEquals("Unhandled", failed.functionError());
        assertEquals("Handler.BadInput", failed.errorType());
        assertEquals("no name in the event", fixture.json(failed).get("errorMessage"));
        assertEquals(first.environmentId(), after.environmentId());
        assertEquals("Echoing request: '{}' (3)", PoolFixture.body(after));
    }

    @Test
    void aHandlerThatExitsStopsTheRuntimeWithItsStatus() {
        fixture.awaitWarm(fixture.invoke(function, "{}").environmentId());

        InvocationResult crashed = fixture.invoke(function, "{\"op\":\"crash\"}");

        assertEquals("Runtime.ExitError", crashed.errorType());
        assertTrue(PoolFixture.body(crashed).contains("exit status 3"), PoolFixture.body(crashed));
        assertTrue(fixture.invoke(function, "{}").cold());
    }

    @Test
    void aHandlerPastItsTimeoutIsStopped() {
        InvocationResult result = fixture.invoke(function, "{\"op\":\"sleep\"}");

        assertEquals("Sandbox.Timedout", result.errorType());
    }

    private static String resource(String name) {
        try (InputStream in = TutorialRuntimeTest.class.getResourceAsStream("tutorial/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
