package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's main command, run as users run it: the ./floe launcher, in its own process. */
class FloeLauncherIT {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    @BeforeAll
    static void theBuildIsFresh() throws IOException {
        // This test runs after `package`: the distribution the launcher runs is the one just built.
        Path stamp = ROOT.resolve("deploy/dist/target/floe.built");
        Files.writeString(stamp, "");
    }

    @Test
    void theDemoShowsAColdStartThenWarmStartsOnAFrozenEnvironmentAndLeavesNothingBehind() throws Exception {
        Run demo = floe(Duration.ofMinutes(3), "demo");

        assertEquals(0, demo.status(), demo.output());
        List<String> rows = demo.output().lines().filter(l -> l.matches("^[1-4] +(cold|warm) .*")).toList();
        assertEquals(4, rows.size(), demo.output());
        assertTrue(rows.getFirst().matches("^1 +cold .*"), demo.output());
        assertTrue(rows.stream().skip(1).allMatch(r -> r.contains(" warm ")), demo.output());
        assertTrue(rows.stream().allMatch(r -> r.contains("FROZEN")), demo.output());
        assertTrue(rows.get(3).contains("\"invocation\":4"), "state survives in the warm environment: " + demo.output());
        assertTrue(demo.output().contains("no environment process left"), demo.output());
        Processes.assertNoneLeft("/var/tmp/floe-demo-", Duration.ofSeconds(5));
    }

    @Test
    void helpAndErrorsComeFromTheLauncherToo() throws Exception {
        Run help = floe(Duration.ofSeconds(60), "help");
        assertEquals(0, help.status(), help.output());
        assertTrue(help.output().contains("invoke NAME [--payload JSON | --payload-file FILE] [--tail] [--json]"), help.output());

        Run unknown = floe(Duration.ofSeconds(60), "frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.output().startsWith("floe: unknown command 'frobnicate'"), unknown.output());
    }

    @Test
    void aControllerAndAWorkerInSeparateProcessesSurviveTheWorkersKill() throws Exception {
        Path data = dev.floe.testing.TestDirs.create("separate");
        // A home of the test's own: the controller makes the user's token there, and the worker and the
        // command line of the same user find it by themselves, as on one machine.
        Map<String, String> home = Map.of("HOME", Files.createDirectories(data.resolve("home")).toString());
        int port = freePort();
        String endpoint = "127.0.0.1:" + port;
        int lambdaPort = freePort();
        Process controller = start(home, "controller", "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--data", data.resolve("controller").toString(), "--lambda-port", Integer.toString(lambdaPort),
                "--lambda-idle-timeout", "2");
        Process worker = null;
        try {
            dev.floe.testing.Await.until(Duration.ofSeconds(60), "the controller makes the user's token",
                    () -> Files.exists(data.resolve("home/.floe/token")));
            worker = start(home, "worker", "--controller", endpoint, "--memory", "1024", "--data", data.resolve("worker").toString());
            awaitWorkers(home, endpoint, 1);
            Path code = Files.createDirectories(data.resolve("code"));
            Files.writeString(code.resolve("bootstrap"), dev.floe.launcher.Examples.bootstrap("hello"));
            code.resolve("bootstrap").toFile().setExecutable(true);
            Map<String, String> forgedToken = new java.util.HashMap<>(home);
            forgedToken.put("FLOE_TOKEN", "a-guess-that-is-long-enough");
            Run forged = floe(Duration.ofSeconds(60), forgedToken, "fn", "create", "hello", "--code", code.toString(),
                    "--handler", "h", "--endpoint", endpoint);
            assertEquals(1, forged.status(), forged.output());
            assertTrue(forged.output().startsWith("floe: UnrecognizedClientException: the cluster token does not match"), forged.output());
            assertEquals(0, floe(Duration.ofSeconds(60), home, "fn", "create", "hello", "--code", code.toString(), "--handler", "h",
                    "--endpoint", endpoint).status());
            // Lambda's HTTP API, on the port given: unsigned it is refused; floe controller wrote its key as the
            // AWS profile floe in the user's ~/.aws.
            try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
                java.net.http.HttpResponse<String> unsigned = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + lambdaPort + "/2015-03-31/functions/hello")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(403, unsigned.statusCode(), unsigned.body());
            }
            Path awsCredentials = data.resolve("home/.aws/credentials");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(awsCredentials)));
            String key = Files.readAllLines(data.resolve("home/.floe/lambda-credentials")).getLast();
            String profile = Files.readString(awsCredentials);
            assertTrue(profile.contains("[floe]\naws_access_key_id = " + key.split(" ")[0] + "\naws_secret_access_key = " + key.split(" ")[1]),
                    "the profile floe holds the controller's key (the SDKs and the CLI signing with it: AwsCliIT, LambdaSdkIT)");
            // --lambda-idle-timeout reached the server: a quiet connection is closed after 2 s.
            try (java.net.Socket quiet = new java.net.Socket("127.0.0.1", lambdaPort)) {
                quiet.setSoTimeout(60_000);
                long opened = System.nanoTime();
                assertEquals(-1, quiet.getInputStream().read());
                assertTrue(System.nanoTime() - opened >= Duration.ofSeconds(2).toNanos());
            }
            Run first = floe(Duration.ofSeconds(60), home, "invoke", "hello", "--json", "--endpoint", endpoint);
            assertEquals(1, payload(first).get("invocation").getAsInt(), first.output());

            worker.destroyForcibly().waitFor();
            // Its runtime dies with it (parent-death signal), frozen or not.
            Processes.assertNoneLeft(data.resolve("worker").toString(), Duration.ofSeconds(10));
            worker = start(home, "worker", "--controller", endpoint, "--memory", "1024", "--data", data.resolve("worker").toString());
            awaitWorkers(home, endpoint, 1);
            Run again = floe(Duration.ofSeconds(60), home, "invoke", "hello", "--json", "--endpoint", endpoint);
            assertTrue(com.google.gson.JsonParser.parseString(again.output()).getAsJsonObject().get("cold").getAsBoolean(),
                    "a new environment on the restarted worker: " + again.output());
            assertEquals(1, payload(again).get("invocation").getAsInt(), again.output());
        } finally {
            if (worker != null) {
                stop(worker);
            }
            stop(controller);
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        dev.floe.testing.TestDirs.delete(data);
    }

    @Test
    void serversWithMetricsPortZeroSayWhereTheyServeAndServeThere() throws Exception {
        Path data = dev.floe.testing.TestDirs.create("metrics");
        Map<String, String> home = Map.of("HOME", Files.createDirectories(data.resolve("home")).toString());
        Path log = data.resolve("controller.out");
        Process controller = startLogged(home, log, "controller", "--port", Integer.toString(freePort()), "--host", "127.0.0.1",
                "--lambda-port", "0", "--data", data.resolve("controller").toString(), "--metrics-port", "0");
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            List<String> urls = metricsUrls(log, 1);
            java.net.http.HttpResponse<String> scrape = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(urls.getFirst())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode(), scrape.body());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.headers().firstValue("content-type").orElseThrow());
            assertTrue(scrape.body().contains("floe_controller_workers 0.0"), scrape.body());
            assertTrue(scrape.body().contains("process_uptime_seconds"), scrape.body());
            java.net.http.HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(urls.getFirst().replace("/metrics", "/healthz"))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals("ok\n", health.body());
        } finally {
            stop(controller);
        }

        // floe up: one endpoint for the controller and one per worker, each named.
        Path upLog = data.resolve("up.out");
        Process up = startLogged(home, upLog, "up", "--workers", "2", "--port", Integer.toString(freePort()), "--lambda-port", "0",
                "--data", data.resolve("up").toString(), "--worker-memory", "512", "--metrics-port", "0");
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            List<String> urls = metricsUrls(upLog, 3);
            String line = Files.readAllLines(upLog).stream().filter(l -> l.startsWith("Metrics (Prometheus text) on ")).findFirst().orElseThrow();
            assertTrue(line.contains("(controller)") && line.contains("(worker-1)") && line.contains("(worker-2)"), line);
            dev.floe.testing.Await.until(Duration.ofSeconds(30), "the controller's endpoint counts 2 workers",
                    () -> scrape(http, urls.getFirst()).contains("floe_controller_workers 2.0"));
            for (int i = 1; i <= 2; i++) {
                String worker = scrape(http, urls.get(i));
                assertTrue(worker.contains("floe_worker_starts_total{kind=\"cold\",worker=\"worker-" + i + "\"} 0.0"), worker);
            }
        } finally {
            stop(up);
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        dev.floe.testing.TestDirs.delete(data);
    }

    @Test
    void aControllerAndAWorkerInSeparateProcessesTalkOverTlsFromFloeTlsFiles() throws Exception {
        Path data = dev.floe.testing.TestDirs.create("separate-tls");
        Map<String, String> home = Map.of("HOME", Files.createDirectories(data.resolve("home")).toString());
        Path tls = data.resolve("tls");
        Run init = floe(Duration.ofSeconds(120), home, "tls", "init", "--dir", tls.toString(), "--hosts", "127.0.0.1");
        assertEquals(0, init.status(), init.output());
        Run issue = floe(Duration.ofSeconds(120), home, "tls", "issue", "--dir", tls.toString(), "--name", "w1", "--hosts", "127.0.0.1");
        assertEquals(0, issue.status(), issue.output());
        int port = freePort();
        String endpoint = "127.0.0.1:" + port;
        Process controller = start(home, "controller", "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--data", data.resolve("controller").toString(), "--lambda-port", Integer.toString(freePort()), "--tls-dir", tls.toString());
        Process worker = null;
        try {
            dev.floe.testing.Await.until(Duration.ofSeconds(60), "the controller makes the user's token",
                    () -> Files.exists(data.resolve("home/.floe/token")));
            worker = start(home, "worker", "--controller", endpoint, "--memory", "1024", "--data", data.resolve("worker").toString(),
                    "--tls-dir", tls.resolve("w1").toString());
            awaitWorkers(home, endpoint, 1, "--tls-ca", tls.resolve("ca.pem").toString());
            Path code = Files.createDirectories(data.resolve("code"));
            Files.writeString(code.resolve("bootstrap"), dev.floe.launcher.Examples.bootstrap("hello"));
            code.resolve("bootstrap").toFile().setExecutable(true);
            assertEquals(0, floe(Duration.ofSeconds(60), home, "fn", "create", "hello", "--code", code.toString(), "--handler", "h",
                    "--endpoint", endpoint, "--tls-ca", tls.resolve("ca.pem").toString()).status());
            Run invoked = floe(Duration.ofSeconds(60), home, "invoke", "hello", "--json", "--endpoint", endpoint,
                    "--tls-dir", tls.resolve("w1").toString());
            assertEquals(1, payload(invoked).get("invocation").getAsInt(), invoked.output());
            // Started without --id, the worker took its certificate's name, the only id the controller accepts from it.
            assertEquals("w1", com.google.gson.JsonParser.parseString(invoked.output()).getAsJsonObject().get("workerId").getAsString(),
                    invoked.output());

            Run plaintext = floe(Duration.ofSeconds(60), home, "fn", "ls", "--endpoint", endpoint);
            assertEquals(1, plaintext.status(), plaintext.output());
            assertTrue(plaintext.output().startsWith("floe: " + endpoint + " speaks TLS and this command spoke plaintext"), plaintext.output());
        } finally {
            if (worker != null) {
                stop(worker);
            }
            stop(controller);
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        dev.floe.testing.TestDirs.delete(data);
    }

    /** The text a GET of {@code url} answers with 200; empty otherwise. */
    private static String scrape(java.net.http.HttpClient http, String url) {
        try {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The {@code http://...:PORT/metrics} addresses on the line where a server tells its metrics endpoints. */
    private static List<String> metricsUrls(Path log, int count) {
        java.util.regex.Pattern url = java.util.regex.Pattern.compile("http://127\\.0\\.0\\.1:\\d+/metrics");
        return dev.floe.testing.Await.value(Duration.ofSeconds(90), count + " metrics address(es) in " + log, () -> {
            try {
                String line = Files.readAllLines(log).stream().filter(l -> l.startsWith("Metrics (Prometheus text) on ")).findFirst().orElse("");
                List<String> found = url.matcher(line).results().map(java.util.regex.MatchResult::group).toList();
                return found.size() == count ? found : null;
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** The function's response inside {@code floe invoke --json}'s output. */
    private static com.google.gson.JsonObject payload(Run invoke) {
        String payload = com.google.gson.JsonParser.parseString(invoke.output()).getAsJsonObject().get("payload").getAsString();
        return com.google.gson.JsonParser.parseString(payload).getAsJsonObject();
    }

    private static Process start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("floe").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().remove("FLOE_TOKEN");
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Like {@link #start}, with what it prints kept in {@code log}. */
    private static Process startLogged(Map<String, String> env, Path log, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("floe").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().remove("FLOE_TOKEN");
        builder.environment().putAll(env);
        return builder.start();
    }

    /** SIGTERM, as a service manager stops a server, then a bounded wait for it to finish its shutdown. */
    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("a floe server did not stop within 30 s of SIGTERM");
        }
    }

    private static void awaitWorkers(Map<String, String> env, String endpoint, int count, String... options) {
        List<String> command = new java.util.ArrayList<>(List.of("workers", "--json", "--endpoint", endpoint));
        command.addAll(List.of(options));
        dev.floe.testing.Await.until(Duration.ofSeconds(60), count + " worker(s) registered at " + endpoint, () -> {
            try {
                Run workers = floe(Duration.ofSeconds(30), env, command.toArray(String[]::new));
                return workers.status() == 0 && workers.output().split("\"READY\"", -1).length - 1 == count;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private record Run(int status, String output) {}

    private static Run floe(Duration timeout, String... args) throws Exception {
        return floe(timeout, Map.of(), args);
    }

    private static Run floe(Duration timeout, Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("floe").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().remove("FLOE_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("floe " + String.join(" ", args) + " did not finish within " + timeout);
            }
            return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }
}
