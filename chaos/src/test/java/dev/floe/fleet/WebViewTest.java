package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.floe.client.FloeClient;
import dev.floe.common.HostPort;
import dev.floe.launcher.LocalFleet;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The controller's web view as a person opens it: refused without a token, opened once with
 * {@code ?token=} (the read-only web token), then loaded in headless Chromium before a function is invoked:
 * the function, its environment's state and the placement appear through the live event stream; the page is
 * saved as target/web-view.png. Chromium is
 * Debian's {@code chromium}; .ci/run installs it and sets {@value #REQUIRE}, so there a missing browser fails.
 */
class WebViewTest {
    static final String REQUIRE = "FLOE_REQUIRE_CHROMIUM";
    private static final String ENVIRONMENT_STATE = "document.querySelector('#environments tr[data-function=\"webbed\"]')?.dataset.state";

    @Test
    void thePageShowsTheInvokedFunctionAndItsEnvironmentLive() throws Exception {
        Path data = TestDirs.create("web-view");
        LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data).workerMemoryMb(1024)
                .controllerTuning(b -> b.web(new HostPort("127.0.0.1", 0)))
                .start().awaitRegistered(Duration.ofSeconds(30));
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
                FloeClient client = fleet.client()) {
            HostPort web = fleet.controller().webAddress().orElseThrow();
            assertEquals("127.0.0.1", web.host(), "loopback by default");
            String readOnly = fleet.controller().webToken().orElseThrow().reveal();
            String stored = Files.readString(data.resolve("controller").resolve("web-token")).strip();
            assertEquals(stored, readOnly, "the read-only token is kept in the controller's data directory");

            HttpResponse<String> anonymous = get(http, web, "/state", null);
            assertEquals(401, anonymous.statusCode());
            assertTrue(anonymous.body().contains("<form method=\"post\" action=\"/login\""), anonymous.body());
            assertEquals(401, get(http, web, "/?token=not-the-token-of-this-fleet", null).statusCode());
            HttpResponse<String> opened = get(http, web, "/?token=" + readOnly, null);
            assertEquals(303, opened.statusCode());
            String cookie = opened.headers().firstValue("set-cookie").orElseThrow();
            assertTrue(cookie.toLowerCase(java.util.Locale.ROOT).contains("httponly") && cookie.contains("SameSite=Strict"), cookie);
            String session = cookie.substring(0, cookie.indexOf(';'));
            assertEquals(200, get(http, web, "/state", session).statusCode());
            HttpResponse<String> signedIn = http.send(HttpRequest.newBuilder(URI.create("http://" + web + "/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + readOnly)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(303, signedIn.statusCode(), "the sign-in form takes the token too");
            assertEquals("/", signedIn.headers().firstValue("location").orElseThrow());
            assertTrue(signedIn.headers().firstValue("set-cookie").orElseThrow().startsWith("floe_web="));
            String cluster = "floe_web=" + fleet.controller().token().reveal();
            assertEquals(200, get(http, web, "/state", cluster).statusCode(), "the cluster token opens it too");

            Optional<Path> chromium = HeadlessChromium.find();
            assumeTrue(chromium.isPresent() || System.getenv(REQUIRE) != null, "Debian's chromium is not installed");
            assertTrue(chromium.isPresent(), REQUIRE + " is set but no chromium is on the PATH (expected: apt-get install chromium)");
            try (HeadlessChromium browser = HeadlessChromium.start(chromium.get(), data.resolve("chromium"))) {
                browser.navigate("http://" + web + "/?token=" + readOnly);
                Await.until(Duration.ofSeconds(60), "the page is live", () -> evaluate(browser, "document.getElementById('link').textContent").equals("live"));
                assertEquals("", evaluate(browser, ENVIRONMENT_STATE), "nothing invoked yet");

                // Invoked after the page loaded: it learns of the function and its environment from the event stream.
                client.createFunction("webbed", ProbeFunction.zip(),
                        FunctionConfig.newBuilder().setRuntime("provided").setHandler("probe.handler").build());
                client.invoke("webbed", "{}".getBytes(StandardCharsets.UTF_8), false);
                String shown = Await.value(Duration.ofSeconds(60), "the page shows the function's environment with its state", () -> {
                    String s = evaluate(browser, ENVIRONMENT_STATE);
                    return s.equals("IDLE") || s.equals("FROZEN") ? s : null;
                });
                assertTrue(Set.of("IDLE", "FROZEN").contains(shown), shown);
                Await.until(Duration.ofSeconds(30), "the function's row counts its invocation",
                        () -> evaluate(browser, "document.querySelector('#functions tr[data-function=\"webbed\"] td:nth-child(6)')?.textContent").equals("1"));
                assertEquals("cold", evaluate(browser, "document.querySelector('#placements tbody td.decision')?.textContent"));
                assertTrue(evaluate(browser, "document.querySelector('#workers [data-worker=\"worker-1\"]')?.textContent").contains("MB free"));
                Path shot = Files.createDirectories(Path.of("target").toAbsolutePath()).resolve("web-view.png");
                Files.write(shot, browser.screenshot());
                assertTrue(Files.size(shot) > 10_000, "a screenshot of the page in " + shot);
            }
        } finally {
            fleet.close();
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private static HttpResponse<String> get(HttpClient http, HostPort address, String path, String cookie) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + address + path)).timeout(Duration.ofSeconds(30));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String evaluate(HeadlessChromium browser, String expression) {
        try {
            return browser.evaluate(expression);
        } catch (Exception e) {
            return "";
        }
    }
}
