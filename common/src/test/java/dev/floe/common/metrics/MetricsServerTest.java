package dev.floe.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.EventLoops;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.testing.Await;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The endpoint as a scraper sees it, over real HTTP on loopback. */
class MetricsServerTest {
    private EventLoopGroup loops;
    private MeterExport export;
    private MetricsServer server;
    private final AtomicReference<Health> health = new AtomicReference<>(Health.OK);
    private HttpClient http;

    @BeforeEach
    void start() throws IOException {
        loops = EventLoops.group("test-metrics", 1);
        export = MeterExport.create(null);
        server = export.serve(new HostPort("127.0.0.1", 0), loops, health::get);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void stop() {
        http.close();
        export.close();
        Lifecycles.shutdown(loops, Duration.ofSeconds(5));
    }

    @Test
    void metricsArePrometheusTextWithFloesNamesAndTheJvmsMeters() throws Exception {
        Counter.builder("floe.test.invocations").tag("outcome", "success").register(export.registry()).increment(2);

        HttpResponse<String> scrape = get("/metrics");

        assertEquals(200, scrape.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.headers().firstValue("content-type").orElseThrow());
        assertTrue(scrape.body().contains("floe_test_invocations_total{outcome=\"success\"} 2.0"), scrape.body());
        for (String meter : new String[] {"jvm_memory_used_bytes{", "jvm_threads_live_threads ", "process_cpu_usage ",
                "process_uptime_seconds ", "jvm_classes_loaded_classes "}) {
            assertTrue(scrape.body().contains(meter), meter + " in " + scrape.body());
        }
        assertTrue(server.url().matches("http://127\\.0\\.0\\.1:\\d+/metrics"), server.url());
    }

    @Test
    void anotherRegistryGivenStillSeesEveryMeter() {
        SimpleMeterRegistry mine = new SimpleMeterRegistry();
        MeterExport both = MeterExport.create(mine);
        try {
            Counter.builder("floe.test.both").register(both.registry()).increment();
            assertEquals(1.0, mine.get("floe.test.both").counter().count());
            assertTrue(both.scrape().contains("floe_test_both_total 1.0"), both.scrape());
        } finally {
            both.close();
        }
    }

    @Test
    void healthzSaysOkOrWhyNot() throws Exception {
        HttpResponse<String> ok = get("/healthz");
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());

        health.set(Health.down("not connected to the controller at 127.0.0.1:7070"));
        HttpResponse<String> down = get("/healthz");
        assertEquals(503, down.statusCode());
        assertEquals("not connected to the controller at 127.0.0.1:7070\n", down.body());
    }

    @Test
    void otherPathsAreNotFoundAndOtherMethodsNotAllowed() throws Exception {
        HttpResponse<String> missing = get("/metricz");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("expected: /metrics or /healthz"), missing.body());

        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(uri("/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, posted.statusCode());
        assertEquals("GET, HEAD", posted.headers().firstValue("allow").orElseThrow());

        HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(uri("/healthz")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, deleted.statusCode());
    }

    @Test
    void closingStopsListeningAndEndsOpenConnections() throws Exception {
        try (Socket kept = new Socket("127.0.0.1", server.port())) {
            kept.setSoTimeout(30_000);
            OutputStream out = kept.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = kept.getInputStream();
            String answer = readUntil(in, "ok\n");
            assertTrue(answer.startsWith("HTTP/1.1 200 OK"), answer);

            export.close();

            assertEquals(-1, in.read(), "the kept-alive connection is closed");
        }
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", server.port()).close());
    }

    @Test
    void pipelinedScrapesAreAnsweredOnlyAsFastAsTheClientReadsThem() throws Exception {
        // About 230 KB a scrape: a client that sends many requests in one packet and reads nothing must not make
        // the server scrape them all and queue the answers in memory (a function can reach a loopback endpoint).
        for (int i = 0; i < 1_000; i++) {
            Gauge.builder("floe.test.padding", () -> 1).tag("series", "x".repeat(200) + i).register(export.registry());
        }
        AtomicInteger scrapes = new AtomicInteger();
        Gauge.builder("floe.test.scrapes", scrapes, AtomicInteger::incrementAndGet).register(export.registry());
        int requests = 200;
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.setSoTimeout(30_000);
            client.connect(new InetSocketAddress("127.0.0.1", server.port()), 30_000);
            client.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(requests).getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();

            Await.until(Duration.ofSeconds(30), "the first scrape", () -> scrapes.get() >= 1);
            // The test's one event loop runs these after whatever it read: by then every request it took has been handled.
            loops.next().submit(() -> {}).get(30, TimeUnit.SECONDS);
            loops.next().submit(() -> {}).get(30, TimeUnit.SECONDS);
            int scraped = scrapes.get();
            assertTrue(scraped <= 40, scraped + " scrapes for a client that read none (expected: only as many as the socket buffers"
                    + " hold, then the connection closed)");

            // What it does read are whole answers, then the end of the connection.
            InputStream in = new BufferedInputStream(client.getInputStream());
            int answers = 0;
            for (String status = readResponse(in); status != null; status = readResponse(in)) {
                assertEquals("HTTP/1.1 200 OK", status, "answer " + (answers + 1));
                answers++;
            }
            assertTrue(answers >= 1 && answers <= scraped, answers + " answers, " + scraped + " scrapes");
        }
    }

    @Test
    void aFewPipelinedRequestsAreAllAnsweredInOrder() throws Exception {
        try (Socket client = new Socket("127.0.0.1", server.port())) {
            client.setSoTimeout(30_000);
            client.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(client.getInputStream());
            assertEquals("HTTP/1.1 200 OK", readResponse(in));
            assertEquals("HTTP/1.1 404 Not Found", readResponse(in));
            assertEquals("HTTP/1.1 200 OK", readResponse(in));
        }
    }

    @Test
    void connectionsPastTheLimitAreClosedAndTheOthersKeepWorking() throws Exception {
        java.util.List<Socket> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < MetricsServer.MAX_CONNECTIONS; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(30_000);
                open.add(s);
            }
            try (Socket extra = new Socket("127.0.0.1", server.port())) {
                extra.setSoTimeout(30_000);
                assertEquals(-1, extra.getInputStream().read(), "a connection past " + MetricsServer.MAX_CONNECTIONS + " is closed");
            }
            Socket first = open.getFirst();
            first.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 200 OK", readResponse(new BufferedInputStream(first.getInputStream())));

            open.removeLast().close();
            Await.until(Duration.ofSeconds(30), "a new connection served once one closed", () -> {
                try {
                    return get("/healthz").statusCode() == 200;
                } catch (Exception refusedStill) {
                    return false;
                }
            });
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    /** One HTTP/1.1 response with a Content-Length: its status line, the body skipped; null at the connection's end. */
    private static String readResponse(InputStream in) throws IOException {
        in.mark(1);
        if (in.read() < 0) {
            return null;
        }
        in.reset();
        String status = readLine(in);
        long length = -1;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring("content-length:".length()).strip());
            }
        }
        assertTrue(length >= 0, "no content-length after " + status);
        in.skipNBytes(length);
        return status;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection closed after: " + line);
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Test
    void aTakenPortIsRefusedSayingWhatWasExpected() throws Exception {
        MeterExport other = MeterExport.create(null);
        try {
            IOException e = assertThrows(IOException.class,
                    () -> other.serve(new HostPort("127.0.0.1", server.port()), loops, () -> Health.OK));
            assertTrue(e.getMessage().contains("expected: a free port"), e.getMessage());
        } finally {
            other.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
        }
        return text.toString();
    }
}
