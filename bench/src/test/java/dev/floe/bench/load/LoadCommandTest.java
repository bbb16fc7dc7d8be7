package dev.floe.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Cli;
import dev.floe.common.CodePackages;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.launcher.Examples;
import dev.floe.launcher.LocalFleet;
import dev.floe.proto.FunctionConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe load} run briefly against a real fleet, read as a script reads it: its JSON. */
class LoadCommandTest {
    private static final String KEY_ID = "AKIDLOADTEST0000";
    private static final String SECRET = "loadTestSecretloadTestSecretloadTestSecret";

    @TempDir
    static Path dir;
    private static LocalFleet fleet;

    @BeforeAll
    static void fleet() throws Exception {
        fleet = LocalFleet.builder().workers(1).port(0).lambdaPort(0).dataDir(dir.resolve("fleet")).workerMemoryMb(8192)
                .lambdaCredentials(LambdaCredentials.of(Map.of(KEY_ID, SECRET))).start().awaitRegistered(Duration.ofSeconds(30));
        byte[] code = CodePackages.zipFiles(Map.of("bootstrap", Examples.bootstrap("echo-python")));
        try (FloeClient client = fleet.client()) {
            for (String name : List.of("echo-1", "echo-2")) {
                client.createFunction(name, code, FunctionConfig.newBuilder().setRuntime("provided").setHandler("echo").build());
            }
        }
        Files.writeString(dir.resolve("keys"), KEY_ID + " " + SECRET + "\n");
        Files.writeString(dir.resolve("wrong-keys"), KEY_ID + " " + SECRET.replace('l', 'L') + "\n");
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private record Run(int status, String out, String err) {
        JsonObject json() {
            return JsonParser.parseString(out).getAsJsonObject();
        }
    }

    private static Run load(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli cli = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", dir.toString(), "FLOE_TOKEN", fleet.controller().token().reveal(),
                        "FLOE_ENDPOINT", fleet.endpoint().toString()),
                List.of(LoadCommand.command()));
        List<String> argv = new java.util.ArrayList<>(List.of("load"));
        argv.addAll(List.of(args));
        int status = cli.run(argv.toArray(String[]::new));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aClosedLoopOverGrpcAcrossTwoFunctionsReportsWhatRan() {
        Run run = load("echo", "--functions", "2", "--callers", "4", "--duration", "1.5", "--payload-size", "100",
                "--payload-size", "2000", "--json");

        assertEquals(0, run.status(), run.err());
        JsonObject report = run.json();
        assertEquals("closed", report.get("loop").getAsString());
        assertEquals(4, report.get("callers").getAsInt());
        assertEquals(2, report.get("functions").getAsInt());
        assertTrue(report.get("ran").getAsLong() > 0, run.out());
        assertTrue(report.get("throughput").getAsDouble() > 0, run.out());
        JsonObject latency = report.getAsJsonObject("latencyMs");
        for (String p : List.of("p50", "p90", "p99", "p99.9", "max")) {
            assertTrue(latency.has(p), p + " in " + run.out());
        }
        assertTrue(latency.get("p50").getAsDouble() <= latency.get("p99").getAsDouble(), run.out());
        assertTrue(report.get("coldStarts").getAsLong() >= 1, "the first invocations start environments: " + run.out());
        assertEquals(0, report.getAsJsonObject("errors").size(), run.out());
    }

    @Test
    void anOpenLoopOverSignedHttpSendsAtItsRate() {
        Run run = load("echo-1", "--rate", "20", "--duration", "2", "--via", "http",
                "--lambda-endpoint", fleet.lambdaEndpoint().toString(), "--lambda-credentials", dir.resolve("keys").toString(), "--json");

        assertEquals(0, run.status(), run.err());
        JsonObject report = run.json();
        assertEquals("open", report.get("loop").getAsString());
        assertEquals("http", report.get("target").getAsString());
        assertEquals(40, report.get("ran").getAsLong(), 2, "20/s for 2 s: " + run.out());
        assertFalse(report.has("coldStarts"), "Lambda's HTTP API does not say: " + run.out());
        assertEquals(0, report.getAsJsonObject("errors").size(), run.out());
    }

    @Test
    void refusalsAreCountedByTheirType() {
        Run run = load("echo-1", "--callers", "2", "--duration", "0.5", "--via", "http",
                "--lambda-endpoint", fleet.lambdaEndpoint().toString(), "--lambda-credentials", dir.resolve("wrong-keys").toString(), "--json");

        assertEquals(1, run.status(), "nothing ran: " + run.out());
        JsonObject report = run.json();
        assertEquals(0, report.get("ran").getAsLong());
        assertEquals(List.of("InvalidSignatureException"), List.copyOf(report.getAsJsonObject("errors").keySet()), run.out());
    }

    @Test
    void zipfFavoursTheFirstFunctions() {
        Zipf zipf = new Zipf(2, 1);
        assertEquals(2 / 3.0, zipf.probability(0), 1e-9);
        assertEquals(1 / 3.0, zipf.probability(1), 1e-9);
        assertEquals(0.25, new Zipf(4, 0).probability(3), 1e-9);
    }
}
