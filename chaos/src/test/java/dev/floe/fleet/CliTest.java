package dev.floe.fleet;

import dev.floe.launcher.Floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The floe command line against a real fleet: the exact surface scripts depend on. */
class CliTest {
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(2);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void aBadLambdaCredentialsFileStopsTheControllerFromStartingWithAClearError() throws Exception {
        Path keys = Files.writeString(fleet.data.resolve("lambda-keys"), "AKIDONLY\n");
        FleetFixture.Result bad = fleet.floeWithEnv(Map.of(), "controller", "--port", "0", "--data",
                fleet.data.resolve("unused").toString(), "--lambda-credentials", keys.toString());
        assertEquals(2, bad.status(), bad.out());
        assertTrue(bad.err().contains("--lambda-credentials: " + keys + " line 1: 1 fields (expected: ACCESS_KEY_ID SECRET_ACCESS_KEY)"),
                bad.err());

        FleetFixture.Result missing = fleet.floeWithEnv(Map.of(), "up", "--port", "0", "--data", fleet.data.resolve("unused").toString(),
                "--lambda-credentials", fleet.data.resolve("no-such-file").toString());
        assertEquals(2, missing.status(), missing.out());
        assertTrue(missing.err().contains("--lambda-credentials: cannot read"), missing.err());
    }

    /** Issue 10: the command line's configuration meets the same checks as the APIs', with the same words. */
    @Test
    void zeroSizesAndBadVariableNamesAreRefusedWithWhatWasExpected() throws Exception {
        Path code = Files.createDirectories(fleet.data.resolve("cli-checks"));
        Files.writeString(code.resolve("bootstrap"), "#!/bin/sh\n");
        FleetFixture.Result zero = fleet.floe("fn", "create", "cli-zero", "--code", code.toString(), "--handler", "h", "--memory", "0");
        assertEquals(1, zero.status(), zero.out());
        assertTrue(zero.err().contains("InvalidParameterValueException: memory: 0 MB (expected: 128..10240 MB)"), zero.err());
        FleetFixture.Result name = fleet.floe("fn", "create", "cli-env", "--code", code.toString(), "--handler", "h", "--env", "1X=y");
        assertEquals(1, name.status(), name.out());
        assertTrue(name.err().contains("environment variable name \"1X\" (expected: a letter, then letters, digits or underscores"),
                name.err());
        FleetFixture.Result timeout = fleet.floe("fn", "create", "cli-timeout", "--code", code.toString(), "--handler", "h",
                "--timeout", "0");
        assertTrue(timeout.err().contains("timeout: 0 s (expected: 1..900 s)"), timeout.err());
    }

    @Test
    void helpAfterACommandShowsThatCommandsUsageAndSucceeds() {
        FleetFixture.Result invoke = fleet.floe("invoke", "--help");
        FleetFixture.Result worker = fleet.floe("worker", "-h");

        assertEquals(0, invoke.status(), invoke.err());
        assertTrue(invoke.out().startsWith("usage: floe invoke"), invoke.out());
        assertTrue(invoke.out().contains("--qualifier"), invoke.out());
        assertFalse(invoke.out().contains("  worker --controller"), "only invoke's entries: " + invoke.out());
        assertEquals(0, worker.status(), worker.err());
        assertTrue(worker.out().contains("worker --controller HOST:PORT"), worker.out());
    }

    @Test
    void aFunctionFromADirectoryIsCreatedInvokedAndDescribed() {
        FleetFixture.Result created = fleet.floe("fn", "create", "hello", "--code", "../examples/hello", "--runtime", "provided",
                "--handler", "hello.handler", "--memory", "256", "--timeout", "5", "--env", "GREETING=hi");
        assertEquals(0, created.status(), created.err());
        assertTrue(created.out().startsWith("created hello revision 1"), created.out());

        FleetFixture.Result invoked = fleet.floe("invoke", "hello", "--payload", "{\"name\":\"floe\"}");
        assertEquals(0, invoked.status(), invoked.err());
        JsonObject body = JsonParser.parseString(invoked.out()).getAsJsonObject();
        assertEquals("hello from Floe", body.get("message").getAsString());
        assertEquals(1, body.get("invocation").getAsInt());

        FleetFixture.Result json = fleet.floe("invoke", "hello", "--json", "--tail");
        assertEquals(0, json.status(), json.err());
        JsonObject result = JsonParser.parseString(json.out()).getAsJsonObject();
        for (String field : new String[] {"requestId", "payload", "errorType", "cold", "environmentId", "workerId", "revision",
                "durationMs", "billedDurationMs", "logTail"}) {
            assertTrue(result.has(field), field + " in " + json.out());
        }
        assertFalse(result.get("cold").getAsBoolean());
        assertFalse(result.has("functionError"), "no function error, no field");
        assertEquals("", result.get("errorType").getAsString());
        assertFalse(result.has("initDurationMs"), "a warm start has no init duration");
        assertEquals(2, JsonParser.parseString(result.get("payload").getAsString()).getAsJsonObject().get("invocation").getAsInt());
        assertTrue(result.get("logTail").getAsString().contains("REPORT RequestId: " + result.get("requestId").getAsString()));

        FleetFixture.Result get = fleet.floe("fn", "get", "hello", "--json");
        JsonObject function = JsonParser.parseString(get.out()).getAsJsonObject();
        assertEquals("hello", function.get("name").getAsString());
        assertEquals(256, function.getAsJsonObject("config").get("memoryMb").getAsInt());
        assertEquals("hi", function.getAsJsonObject("config").getAsJsonObject("environment").get("GREETING").getAsString());

        FleetFixture.Result table = fleet.floe("fn", "ls");
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("hello ") && l.contains("256 MB")), table.out());
    }

    @Test
    void theFleetIsListedAsJson() {
        fleet.floe("fn", "create", "listed", "--code", "../examples/hello", "--handler", "h");
        fleet.floe("invoke", "listed");

        JsonArray envs = JsonParser.parseString(fleet.floe("envs", "--json").out()).getAsJsonArray();
        JsonObject env = envs.asList().stream().map(e -> e.getAsJsonObject())
                .filter(e -> e.get("function").getAsString().equals("listed")).findFirst().orElseThrow();
        for (String field : new String[] {"id", "function", "revision", "workerId", "state", "pid", "memoryMb"}) {
            assertTrue(env.has(field), field + " in " + env);
        }
        assertTrue(java.util.Set.of("IDLE", "FROZEN", "BUSY").contains(env.get("state").getAsString()), env.toString());
        assertTrue(env.get("pid").getAsInt() > 0);

        JsonArray workers = JsonParser.parseString(fleet.floe("workers", "--json").out()).getAsJsonArray();
        assertEquals(2, workers.size());
        JsonObject worker = workers.get(0).getAsJsonObject();
        for (String field : new String[] {"id", "address", "state", "memoryMb", "memoryUsedMb", "environments"}) {
            assertTrue(worker.has(field), field + " in " + worker);
        }
        assertEquals("READY", worker.get("state").getAsString());
        assertEquals(1024, worker.get("memoryMb").getAsInt());
    }

    @Test
    void aFunctionErrorStillExitsZeroAndSaysSo() throws Exception {
        Path code = Files.createDirectories(fleet.data.resolve("failing"));
        Files.writeString(code.resolve("bootstrap"), "#!/bin/sh\nexit 3\n");
        code.resolve("bootstrap").toFile().setExecutable(true);
        fleet.floe("fn", "create", "exits", "--code", code.toString(), "--handler", "h");

        FleetFixture.Result result = fleet.floe("invoke", "exits", "--json");

        assertEquals(0, result.status(), result.err());
        JsonObject json = JsonParser.parseString(result.out()).getAsJsonObject();
        assertEquals("Unhandled", json.get("functionError").getAsString());
        assertEquals("Runtime.ExitError", json.get("errorType").getAsString());
        assertTrue(json.get("cold").getAsBoolean());
        assertTrue(json.get("initDurationMs").getAsDouble() > 0, "a cold start reports its init duration");
    }

    @Test
    void refusalsAreOneLineOnStderrWithANonZeroExit() {
        FleetFixture.Result missing = fleet.floe("invoke", "nothing-here");
        assertEquals(1, missing.status());
        assertEquals("", missing.out());
        assertEquals(1, missing.err().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("floe: ResourceNotFoundException: "), missing.err());

        FleetFixture.Result badMemory = fleet.floe("fn", "create", "bad", "--code", "../examples/hello", "--handler", "h",
                "--memory", "64");
        assertEquals(1, badMemory.status());
        assertTrue(badMemory.err().contains("memory: 64 MB (expected: 128..10240 MB)"), badMemory.err());

        FleetFixture.Result badJson = fleet.floe("invoke", "anything", "--payload", "{not json");
        assertEquals(2, badJson.status());
        assertTrue(badJson.err().contains("not valid JSON"), badJson.err());

        FleetFixture.Result usage = fleet.floe("fn", "create", "x", "--colde", "y");
        assertEquals(2, usage.status());
        assertTrue(usage.err().startsWith("floe: unknown option --colde"), usage.err());

        FleetFixture.Result noCode = fleet.floe("fn", "create", "x", "--code", "no/such/dir", "--handler", "h");
        assertEquals(2, noCode.status());
        assertTrue(noCode.err().contains("no such file or directory: no/such/dir"), noCode.err());
    }

    @Test
    void theClusterTokenComesFromAFileTheEnvironmentOrTheDefaultPlaceAndNothingElseGetsIn() throws Exception {
        FleetFixture.Result none = fleet.floeWithEnv(Map.of(), "fn", "ls");
        assertEquals(2, none.status());
        assertTrue(none.err().startsWith("floe: no cluster token (expected: --token-file FILE, $FLOE_TOKEN, or "
                + fleet.data.resolve("home/.floe/token")), none.err());

        FleetFixture.Result forged = fleet.floeWithEnv(Map.of("FLOE_TOKEN", "0123456789abcdef-guessed"), "fn", "ls");
        assertEquals(1, forged.status());
        assertTrue(forged.err().startsWith("floe: UnrecognizedClientException: the cluster token does not match"), forged.err());
        assertEquals(1, forged.err().lines().count(), forged.err());
        assertTrue(forged.err().strip().endsWith("; this command sent the token from $FLOE_TOKEN"), forged.err());

        FleetFixture.Result tooShort = fleet.floeWithEnv(Map.of("FLOE_TOKEN", "short"), "fn", "ls");
        assertEquals(2, tooShort.status());
        assertTrue(tooShort.err().startsWith("floe: $FLOE_TOKEN: token: 5 characters (expected: 16..512"), tooShort.err());

        String token = Files.readString(fleet.tokenFile()).strip();
        assertEquals(0, fleet.floeWithEnv(Map.of("FLOE_TOKEN", token), "fn", "ls").status());

        Path home = Files.createDirectories(fleet.data.resolve("other-home"));
        Files.createDirectories(home.resolve(".floe"));
        Files.copy(fleet.tokenFile(), home.resolve(".floe/token"));
        FleetFixture.Result byDefault = fleet.floeWithEnv(Map.of("HOME", home.toString()), "workers");
        assertEquals(0, byDefault.status(), byDefault.err());
        assertTrue(byDefault.out().contains("worker-1"), byDefault.out());
    }

    @Test
    void anUnreachableFleetIsExplained() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = Floe.cli(new java.io.PrintStream(new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err),
                        Map.of("FLOE_TOKEN", "0123456789abcdef-any"))
                .run("fn", "ls", "--endpoint", "127.0.0.1:1");

        assertEquals(1, status);
        assertTrue(err.toString().startsWith("floe: cannot reach Floe at 127.0.0.1:1"), err.toString());
    }
}
