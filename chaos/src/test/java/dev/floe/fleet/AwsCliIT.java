package dev.floe.fleet;

import dev.floe.launcher.AwsProfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.common.CodePackages;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.TestDirs;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real AWS CLI v2 ({@code aws lambda ...}) against a local fleet's Lambda API, as a user types it:
 * create, read, list, invoke (with the log tail, and as an Event), update code and configuration,
 * delete, and an unknown function's error, asserting on what the CLI prints and its exit status. It
 * signs as a user of {@code floe up} does: with the AWS profile {@value AwsProfile#NAME} that {@code floe
 * up} writes ({@link AwsProfile}), holding the key the controller made; without it the API refuses.
 * Without the CLI on this machine the test is skipped, unless {@value #REQUIRE} is set (CI sets it in
 * {@code .ci/run}, which installs the CLI): then it fails. The CLI reads nothing of the user's: its home
 * is a directory of the test's own.
 */
class AwsCliIT {
    static final String REQUIRE = "FLOE_REQUIRE_AWS_CLI";
    /** The CLI to use, when not the first version 2 {@code aws} on the PATH. */
    static final String CLI = "FLOE_AWS_CLI";
    /** Lambda's CLI exits 254 when the service refused the call. */
    static final int SERVICE_ERROR = 254;

    private static Path cli;
    private static FleetFixture fleet;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        cli = requiredCli();
        dir = prepare(TestDirs.create("aws-cli"));
        fleet = new FleetFixture(1);
        AwsProfile.write(dir.resolve("home"), fleet.lambdaKey(), fleet.fleet.lambdaEndpoint(), null);
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (dir != null) {
            TestDirs.delete(dir);
        }
    }

    @Test
    void createInvokeUpdateAndDeleteAFunction() throws Exception {
        byte[] zip = ProbeFunction.zip();
        Path zipFile = Files.write(dir.resolve("probe.zip"), zip);
        Cli created = aws("create-function", "--function-name", "cli-probe", "--runtime", "provided", "--handler", "probe.handler",
                "--role", "arn:aws:iam::000000000000:role/ignored", "--zip-file", "fileb://" + zipFile, "--memory-size", "256",
                "--timeout", "10", "--environment", "Variables={GREETING=hello}");
        JsonObject config = created.json();
        assertEquals("cli-probe", config.get("FunctionName").getAsString());
        assertEquals("$LATEST", config.get("Version").getAsString(), "as Lambda answers a create without --publish");
        assertEquals(256, config.get("MemorySize").getAsInt());
        assertEquals("Active", config.get("State").getAsString());
        assertEquals("hello", config.getAsJsonObject("Environment").getAsJsonObject("Variables").get("GREETING").getAsString());
        String sha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(zip));
        assertEquals(sha, config.get("CodeSha256").getAsString());

        JsonObject got = aws("get-function", "--function-name", "cli-probe").json();
        assertEquals(config.get("RevisionId"), got.getAsJsonObject("Configuration").get("RevisionId"));
        assertEquals("$LATEST", got.getAsJsonObject("Configuration").get("Version").getAsString(), "no qualifier: Lambda's $LATEST");
        JsonArray listed = aws("list-functions").json().getAsJsonArray("Functions");
        assertTrue(names(listed).contains("cli-probe"), listed.toString());
        for (var f : listed) {
            assertEquals("$LATEST", f.getAsJsonObject().get("Version").getAsString(), f.toString());
        }

        // Twice: the second finds the first's environment and its state.
        Path out = dir.resolve("out.json");
        JsonObject first = aws("invoke", "--function-name", "cli-probe", "--cli-binary-format", "raw-in-base64-out",
                "--payload", "{\"op\":\"count\"}", "--log-type", "Tail", out.toString()).json();
        assertEquals(200, first.get("StatusCode").getAsInt());
        assertEquals("$LATEST", first.get("ExecutedVersion").getAsString());
        String log = new String(Base64.getDecoder().decode(first.get("LogResult").getAsString()), StandardCharsets.UTF_8);
        assertTrue(log.contains("START RequestId") && log.contains("REPORT RequestId"), log);
        assertTrue(Files.readString(out).contains("\"count\": 1"), Files.readString(out));
        assertTrue(!first.has("FunctionError"), first.toString());
        aws("invoke", "--function-name", "cli-probe", "--cli-binary-format", "raw-in-base64-out",
                "--payload", "{\"op\":\"count\"}", out.toString());
        assertTrue(Files.readString(out).contains("\"count\": 2"), Files.readString(out));

        JsonObject recoded = aws("update-function-code", "--function-name", "cli-probe", "--zip-file", "fileb://" + Files.write(
                dir.resolve("new.zip"), CodePackages.zipFiles(Map.of("bootstrap", ProbeFunction.bootstrap(), "marker.txt", "new code"))),
                "--publish").json();
        assertEquals("2", recoded.get("Version").getAsString(), "--publish: the version the change made");
        assertNotEquals(sha, recoded.get("CodeSha256").getAsString());
        JsonObject reconfigured = aws("update-function-configuration", "--function-name", "cli-probe", "--memory-size", "512",
                "--environment", "Variables={GREETING=again}").json();
        assertEquals("$LATEST", reconfigured.get("Version").getAsString());
        assertEquals(512, reconfigured.get("MemorySize").getAsInt());
        assertEquals(recoded.get("CodeSha256"), reconfigured.get("CodeSha256"));
        JsonObject third = aws("invoke", "--function-name", "cli-probe", "--cli-binary-format", "raw-in-base64-out", "--payload",
                "{\"op\":\"sh\",\"command\":\"cat $LAMBDA_TASK_ROOT/marker.txt; echo \\\" $GREETING\\\"\"}", out.toString()).json();
        assertEquals("$LATEST", third.get("ExecutedVersion").getAsString());
        assertTrue(Files.readString(out).contains("new code again"), Files.readString(out));
        assertEquals("3", aws("invoke", "--function-name", "cli-probe:3", "--cli-binary-format", "raw-in-base64-out", "--payload",
                "{}", out.toString()).json().get("ExecutedVersion").getAsString(), "a version named: that version");

        Cli deleted = aws("delete-function", "--function-name", "cli-probe");
        assertEquals("", deleted.out().strip());
        Cli gone = awsFailing("get-function", "--function-name", "cli-probe");
        assertTrue(gone.err().contains("(ResourceNotFoundException) when calling the GetFunction operation"), gone.err());
    }

    @Test
    void anEventInvocationIsAcceptedAndRuns() throws Exception {
        try (Witness witness = new Witness()) {
            aws("create-function", "--function-name", "cli-event", "--runtime", "provided", "--handler", "probe.handler",
                    "--role", "arn:aws:iam::000000000000:role/ignored", "--zip-file", "fileb://" + Files.write(dir.resolve("event.zip"), ProbeFunction.zip()));
            String event = witness.event("event ran");
            Path out = dir.resolve("event-out.json");
            JsonObject accepted = aws("invoke", "--function-name", "cli-event", "--invocation-type", "Event",
                    "--cli-binary-format", "raw-in-base64-out", "--payload", event, out.toString()).json();
            assertEquals(202, accepted.get("StatusCode").getAsInt());
            Await.until(Duration.ofSeconds(60), "the Event invocation to call the witness", () -> witness.saw("event ran"));
        }
    }

    @Test
    void deployToolsTagReserveAndGrantAndAnUnservedOperationIsUnknown() throws Exception {
        JsonObject created = aws("create-function", "--function-name", "cli-ops", "--runtime", "provided", "--handler", "probe.handler",
                "--role", "arn:aws:iam::000000000000:role/ignored", "--tags", "team=core",
                "--zip-file", "fileb://" + Files.write(dir.resolve("ops.zip"), ProbeFunction.zip())).json();
        String arn = created.get("FunctionArn").getAsString();
        aws("tag-resource", "--resource", arn, "--tags", "stage=test");
        JsonObject tags = aws("list-tags", "--resource", arn).json().getAsJsonObject("Tags");
        assertEquals("core", tags.get("team").getAsString());
        assertEquals("test", tags.get("stage").getAsString());

        JsonObject reserved = aws("put-function-concurrency", "--function-name", "cli-ops", "--reserved-concurrent-executions", "3").json();
        assertEquals(3, reserved.get("ReservedConcurrentExecutions").getAsInt());
        JsonObject account = aws("get-account-settings").json();
        assertTrue(account.getAsJsonObject("AccountLimit").get("ConcurrentExecutions").getAsInt() > 3, account.toString());

        JsonObject granted = aws("add-permission", "--function-name", "cli-ops", "--statement-id", "api", "--action",
                "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com").json();
        assertTrue(granted.get("Statement").getAsString().contains("apigateway.amazonaws.com"), granted.toString());

        Cli layers = awsFailing("list-layers");
        assertTrue(layers.err().contains("(UnknownOperationException) when calling the ListLayers operation"), layers.err());
    }

    @Test
    void withoutTheProfilesKeyTheApiRefuses() {
        Cli guessed = exec(cli, dir, List.of("list-functions", "--endpoint-url", fleet.fleet.lambdaEndpoint().toString()),
                Map.of("AWS_ACCESS_KEY_ID", "AKIDGUESSED", "AWS_SECRET_ACCESS_KEY", "guessed-secret"));
        assertEquals(SERVICE_ERROR, guessed.status(), guessed.out() + guessed.err());
        assertTrue(guessed.err().contains("(UnrecognizedClientException) when calling the ListFunctions operation"), guessed.err());
    }

    @Test
    void anUnknownFunctionIsResourceNotFound() {
        Cli missing = awsFailing("invoke", "--function-name", "cli-no-such", "--cli-binary-format", "raw-in-base64-out",
                "--payload", "{}", dir.resolve("missing.json").toString());
        assertTrue(missing.err().contains("An error occurred (ResourceNotFoundException) when calling the Invoke operation"), missing.err());
        assertTrue(missing.err().contains("cli-no-such"), missing.err());
    }

    private static List<String> names(JsonArray functions) {
        List<String> names = new ArrayList<>();
        for (JsonElement f : functions) {
            names.add(f.getAsJsonObject().get("FunctionName").getAsString());
        }
        return names;
    }

    /** Runs {@code aws lambda ARGS} and expects it to succeed. */
    private static Cli aws(String... args) {
        Cli result = run(args);
        assertEquals(0, result.status(), "aws lambda " + String.join(" ", args) + " exited " + result.status() + ": " + result.err());
        return result;
    }

    /** Runs {@code aws lambda ARGS} and expects Lambda's refusal: exit status 254. */
    private static Cli awsFailing(String... args) {
        Cli result = run(args);
        assertEquals(SERVICE_ERROR, result.status(), "aws lambda " + String.join(" ", args) + ": " + result.out() + result.err());
        return result;
    }

    private static Cli run(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--profile", AwsProfile.NAME, "--endpoint-url", fleet.fleet.lambdaEndpoint().toString()));
        return exec(cli, dir, command);
    }

    /** {@code dir} with the home {@link #exec} gives the CLI, where {@link AwsProfile#write} puts the profile. */
    static Path prepare(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("home"));
        return dir;
    }

    /** Runs {@code cli lambda ARGS} with the home of {@code dir} ({@link #prepare}), nothing of the user's. */
    static Cli exec(Path cli, Path dir, List<String> args) {
        return exec(cli, dir, args, Map.of());
    }

    /** As {@link #exec(Path, Path, List)}, with {@code extra} in the CLI's environment (e.g. keys of its own). */
    static Cli exec(Path cli, Path dir, List<String> args, Map<String, String> extra) {
        List<String> command = new ArrayList<>(List.of(cli.toString(), "lambda"));
        command.addAll(args);
        command.addAll(List.of("--region", "us-east-1", "--output", "json", "--no-cli-pager", "--cli-read-timeout", "120"));
        ProcessBuilder builder = new ProcessBuilder(command);
        // Only what the CLI needs: nothing of the user's profile, keys or endpoint settings leaks in.
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", dir.resolve("home").toString());
        env.put("LANG", "C.UTF-8");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.put("AWS_PAGER", "");
        env.putAll(extra);
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process process = builder.start();
            try {
                if (!process.waitFor(180, TimeUnit.SECONDS)) {
                    fail("aws lambda " + String.join(" ", args) + ": no exit within 180 s");
                }
            } finally {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            return new Cli(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    record Cli(int status, String out, String err) {
        JsonObject json() {
            return JsonParser.parseString(out).getAsJsonObject();
        }
    }

    /** The CLI ({@link #findCli}); without one the calling test is skipped, or fails when {@value #REQUIRE} is set. */
    static Path requiredCli() throws InterruptedException {
        Path found = findCli();
        if (found == null) {
            String why = "no AWS CLI version 2 found (set " + CLI + " to one, or put Debian's awscli package's `aws` on the PATH:"
                    + " apt-get install --no-install-recommends awscli)";
            if (System.getenv(REQUIRE) != null) {
                fail(why + "; " + REQUIRE + " is set, so the CLI is required here");
            }
            Assumptions.abort(why);
        }
        return found;
    }

    /** {@value #CLI}, else the first {@code aws} on the PATH that is version 2 (Debian's awscli is); null if none. */
    private static Path findCli() throws InterruptedException {
        List<Path> candidates = new ArrayList<>();
        String given = System.getenv(CLI);
        if (given != null && !given.isBlank()) {
            candidates.add(Path.of(given));
        } else {
            for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Path.of(entry, "aws"));
                }
            }
        }
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate) && version(candidate).startsWith("aws-cli/2.")) {
                return candidate;
            }
        }
        return null;
    }

    private static String version(Path cli) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(cli.toString(), "--version").redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    return "";
                }
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            } finally {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            return "";
        }
    }
}
