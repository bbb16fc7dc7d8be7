package dev.floe.fleet;

import dev.floe.launcher.Floe;
import dev.floe.launcher.LocalFleet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.FloeClient;
import dev.floe.common.HostPort;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A controller and a worker with their metrics endpoints on, scraped over HTTP as Prometheus would
 * while a function runs: the invocation and the cold start show up, and /healthz follows the link.
 */
class MetricsEndpointTest {
    private static final String SUCCESSES = "floe_controller_invocations_total";
    private static final String STARTS = "floe_worker_starts_total";

    @Test
    void aScrapeCountsTheInvocationAndTheColdStartAndHealthzFollowsTheWorkersLink() throws Exception {
        Path data = TestDirs.create("metrics");
        LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data).workerMemoryMb(1024).metricsPort(0)
                .start().awaitRegistered(Duration.ofSeconds(30));
        Worker worker = fleet.workers().getFirst();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
                FloeClient client = fleet.client()) {
            HostPort controllerMetrics = fleet.controller().metricsAddress().orElseThrow();
            HostPort workerMetrics = worker.metricsAddress().orElseThrow();
            assertEquals("127.0.0.1", controllerMetrics.host(), "loopback by default");
            assertNotEquals(controllerMetrics.port(), workerMetrics.port());
            Map<String, String> worker1 = Map.of("worker", worker.id(), "kind", "cold");

            HttpResponse<String> before = get(http, controllerMetrics, "/metrics");
            assertEquals(200, before.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", before.headers().firstValue("content-type").orElseThrow());
            assertEquals(1.0, value(before.body(), "floe_controller_workers", Map.of()), before.body());
            double successesBefore = value(before.body(), SUCCESSES, Map.of("outcome", "success"));
            assertEquals(0.0, value(get(http, workerMetrics, "/metrics").body(), STARTS, worker1));

            client.createFunction("counted", ProbeFunction.zip(),
                    FunctionConfig.newBuilder().setRuntime("provided").setHandler("probe.handler").build());
            InvokeResponse first = client.invoke("counted", "{}".getBytes(StandardCharsets.UTF_8), false);
            InvokeResponse second = client.invoke("counted", "{}".getBytes(StandardCharsets.UTF_8), false);
            assertTrue(first.getCold() && !second.getCold());

            String controllerAfter = get(http, controllerMetrics, "/metrics").body();
            assertEquals(successesBefore + 2, value(controllerAfter, SUCCESSES, Map.of("outcome", "success")), controllerAfter);
            assertTrue(controllerAfter.contains("floe_controller_invoke_latency_seconds_count{outcome=\"success\"} 2"), controllerAfter);
            String workerAfter = get(http, workerMetrics, "/metrics").body();
            assertEquals(1.0, value(workerAfter, STARTS, worker1), workerAfter);
            assertEquals(1.0, value(workerAfter, STARTS, Map.of("worker", worker.id(), "kind", "warm")), workerAfter);
            for (String meter : List.of("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "process_cpu_usage",
                    "process_uptime_seconds")) {
                assertTrue(workerAfter.contains(meter) && controllerAfter.contains(meter), meter);
            }

            HttpResponse<String> controllerHealth = get(http, controllerMetrics, "/healthz");
            assertEquals(200, controllerHealth.statusCode());
            assertEquals("ok\n", controllerHealth.body());
            assertEquals(200, get(http, workerMetrics, "/healthz").statusCode());
            assertEquals(404, get(http, workerMetrics, "/").statusCode());

            // Without its controller the worker serves on, and says it is not healthy.
            fleet.controller().close();
            Await.until(Duration.ofSeconds(30), "the worker's /healthz turns 503", () -> status(http, workerMetrics) == 503);
            String why = get(http, workerMetrics, "/healthz").body();
            assertTrue(why.contains("not connected to the controller"), why);
            assertThrows(java.io.IOException.class, () -> get(http, controllerMetrics, "/healthz"), "the controller's endpoint closed with it");
        } finally {
            fleet.close();
        }
        assertThrows(java.io.IOException.class, () -> new java.net.Socket("127.0.0.1", worker.metricsAddress().orElseThrow().port()).close());
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        Await.until(Duration.ofSeconds(10), "no event loop of the fleet left", () -> Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).map(Thread::getName)
                .noneMatch(n -> n.startsWith("floe-controller-io") || n.startsWith("floe-worker-" + worker.id())));
        TestDirs.delete(data);
    }

    @Test
    void aMetricsHostWithoutAPortOrAPortTooHighIsAWrongCommandLine() {
        Path data = TestDirs.create("metrics-usage");
        try {
            for (String[] line : List.of(new String[] {"controller", "--metrics-host", "0.0.0.0"},
                    new String[] {"worker", "--controller", "127.0.0.1:1", "--metrics-host", "0.0.0.0"},
                    new String[] {"up", "--workers", "2", "--metrics-port", "65534"},
                    new String[] {"controller", "--metrics-port", "65536"})) {
                java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
                int status = Floe.cli(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                        new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                        Map.of("HOME", data.toString(), "FLOE_TOKEN", "a-token-long-enough-for-the-check")).run(line);
                String said = err.toString(StandardCharsets.UTF_8);
                assertEquals(2, status, String.join(" ", line) + ": " + said);
                assertTrue(said.startsWith("floe: --metrics-") && said.contains("expected"), said);
            }
        } finally {
            TestDirs.delete(data);
        }
    }

    private static HttpResponse<String> get(HttpClient http, HostPort address, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + address + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int status(HttpClient http, HostPort address) {
        try {
            return get(http, address, "/healthz").statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** The sample {@code name{labels...} VALUE} whose labels include {@code labels}; 0 when there is none yet. */
    static double value(String scrape, String name, Map<String, String> labels) {
        return scrape.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> labels.entrySet().stream().allMatch(e -> l.contains(e.getKey() + "=\"" + e.getValue() + "\"")))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .reduce(Double::sum)
                .orElse(0.0);
    }
}
