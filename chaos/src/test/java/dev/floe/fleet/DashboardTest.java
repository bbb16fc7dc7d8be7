package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.common.HostPort;
import dev.floe.launcher.LocalFleet;
import dev.floe.proto.AsyncInvocation;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard in deploy/grafana reads only series a fleet exports: a fleet runs a function
 * synchronously and through the async queue, its controller's and worker's endpoints are scraped as the
 * example Prometheus configuration does, and every metric name in every panel's PromQL is found there.
 */
class DashboardTest {
    static final Path DASHBOARD = Path.of("../deploy/grafana/floe-dashboard.json");
    /** PromQL words that are not metric names: operators and modifiers (functions are followed by '('). */
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @Test
    void everySeriesThePanelsQueryIsExportedByAFleet() throws Exception {
        Map<String, List<String>> wanted = metricsByPanel(Files.readString(DASHBOARD));
        assertTrue(wanted.size() >= 15, "the dashboard's panels: " + wanted.keySet());

        Path data = TestDirs.create("dashboard");
        LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data).workerMemoryMb(1024).metricsPort(0)
                .start().awaitRegistered(Duration.ofSeconds(30));
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
                FloeClient client = fleet.client()) {
            client.createFunction("charted", ProbeFunction.zip(),
                    FunctionConfig.newBuilder().setRuntime("provided").setHandler("probe.handler").build());
            client.invoke("charted", "{}".getBytes(StandardCharsets.UTF_8), false);
            String queued = client.invokeQueued("charted", List.of(ByteString.copyFromUtf8("{}"))).getFirst();
            Await.until(Duration.ofSeconds(60), "the queued invocation succeeds",
                    () -> client.invocation(queued).getStatus() == AsyncInvocation.Status.SUCCEEDED);

            Set<String> exported = new TreeSet<>();
            exported.addAll(names(scrape(http, fleet.controller().metricsAddress().orElseThrow())));
            exported.addAll(names(scrape(http, fleet.workers().getFirst().metricsAddress().orElseThrow())));
            List<String> missing = new ArrayList<>();
            wanted.forEach((panel, metrics) -> metrics.stream().filter(m -> !exported.contains(m))
                    .forEach(m -> missing.add(panel + ": " + m)));
            assertEquals(List.of(), missing, "series the dashboard queries but the fleet does not export; exported: " + exported);
        } finally {
            fleet.close();
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    @Test
    void theMetricNamesOfAQueryAreItsIdentifiersOutsideLabelsRangesAndFunctionCalls() {
        assertEquals(List.of("floe_a_total", "floe_b"), metricNames(
                "sum by (function, outcome) (rate(floe_a_total{outcome!=\"success\", x=~\"a|b\"}[$__rate_interval])) / clamp_min(floe_b, 1e-9) > bool 0"));
    }

    /** Panel title to the metric names its queries read. */
    static Map<String, List<String>> metricsByPanel(String dashboard) {
        Map<String, List<String>> byPanel = new TreeMap<>();
        for (JsonElement p : JsonParser.parseString(dashboard).getAsJsonObject().getAsJsonArray("panels")) {
            JsonObject panel = p.getAsJsonObject();
            if (!panel.has("targets")) {
                continue; // a row
            }
            List<String> names = new ArrayList<>();
            for (JsonElement t : panel.getAsJsonArray("targets")) {
                names.addAll(metricNames(t.getAsJsonObject().get("expr").getAsString()));
            }
            assertTrue(!names.isEmpty(), panel.get("title") + ": no metric in its queries");
            byPanel.put(panel.get("title").getAsString(), names);
        }
        return byPanel;
    }

    static List<String> metricNames(String promql) {
        String bare = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // strings
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " "); // label lists
        List<String> names = new ArrayList<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String word = m.group();
            boolean call = bare.substring(m.end()).stripLeading().startsWith("(");
            boolean number = m.start() > 0 && Character.isDigit(bare.charAt(m.start() - 1));
            if (!call && !number && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT)) && !names.contains(word)) {
                names.add(word);
            }
        }
        return names;
    }

    private static String scrape(HttpClient http, HostPort address) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + address + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** The series names of a Prometheus text scrape. */
    static Set<String> names(String scrape) {
        Set<String> names = new TreeSet<>();
        scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> {
            Matcher m = IDENTIFIER.matcher(l);
            if (m.lookingAt()) {
                names.add(m.group());
            }
        });
        return names;
    }
}
