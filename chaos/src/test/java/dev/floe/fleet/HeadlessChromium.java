package dev.floe.fleet;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.testing.Await;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium driven over the DevTools protocol (a WebSocket on loopback): navigate, evaluate
 * an expression in the page, take a screenshot. A page that keeps a server-sent event stream open never
 * goes idle, which rules out {@code --dump-dom} with a virtual time budget. Closing it ends the browser and
 * every process it started.
 */
final class HeadlessChromium implements AutoCloseable {
    private final Process process;
    private final HttpClient http;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending;

    private HeadlessChromium(Process process, HttpClient http, WebSocket socket, Map<Integer, CompletableFuture<JsonObject>> pending) {
        this.process = process;
        this.http = http;
        this.socket = socket;
        this.pending = pending;
    }

    /** Debian's {@code chromium} on the PATH, if installed. */
    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    static HeadlessChromium start(Path chromium, Path profile) throws Exception {
        Files.createDirectories(profile);
        Path activePort = profile.resolve("DevToolsActivePort");
        Files.deleteIfExists(activePort);
        Process process = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1400,1000",
                "--hide-scrollbars", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(profile.resolve("chromium.log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        try {
            // Chromium writes its port there once the DevTools endpoint listens.
            int port = Await.value(Duration.ofSeconds(60), "Chromium's DevTools endpoint", () -> {
                try {
                    List<String> lines = Files.exists(activePort) ? Files.readAllLines(activePort) : List.of();
                    return lines.size() >= 2 ? Integer.valueOf(lines.getFirst().strip()) : null;
                } catch (java.io.IOException e) {
                    return null;
                }
            });
            String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
            String page = null;
            for (JsonElement target : JsonParser.parseString(list).getAsJsonArray()) {
                if (target.getAsJsonObject().get("type").getAsString().equals("page")) {
                    page = target.getAsJsonObject().get("webSocketDebuggerUrl").getAsString();
                }
            }
            if (page == null) {
                throw new IllegalStateException("Chromium has no page to drive: " + list);
            }
            Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(page), new Replies(pending)).get(30, TimeUnit.SECONDS);
            return new HeadlessChromium(process, http, socket, pending);
        } catch (Exception | Error e) {
            stop(process);
            http.close();
            throw e;
        }
    }

    /** Answers to calls, matched by id; events are dropped. */
    private static final class Replies implements WebSocket.Listener {
        private final Map<Integer, CompletableFuture<JsonObject>> pending;
        private final StringBuilder partial = new StringBuilder();

        Replies(Map<Integer, CompletableFuture<JsonObject>> pending) {
            this.pending = pending;
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonObject message = JsonParser.parseString(partial.toString()).getAsJsonObject();
                partial.setLength(0);
                if (message.has("id")) {
                    CompletableFuture<JsonObject> reply = pending.remove(message.get("id").getAsInt());
                    if (reply != null) {
                        reply.complete(message);
                    }
                }
            }
            socket.request(1);
            return null;
        }
    }

    /** Calls a DevTools method and returns its result; a DevTools error is an exception. */
    JsonObject call(String method, JsonObject params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> reply = new CompletableFuture<>();
        pending.put(id, reply);
        JsonObject message = new JsonObject();
        message.addProperty("id", id);
        message.addProperty("method", method);
        message.add("params", params);
        socket.sendText(message.toString(), true).get(30, TimeUnit.SECONDS);
        JsonObject answer = reply.get(60, TimeUnit.SECONDS);
        if (answer.has("error")) {
            throw new IllegalStateException(method + ": " + answer.get("error"));
        }
        return answer.getAsJsonObject("result");
    }

    void navigate(String url) throws Exception {
        JsonObject params = new JsonObject();
        params.addProperty("url", url);
        call("Page.navigate", params);
    }

    /** The value of a JavaScript expression in the page, as text; "" when it is null or undefined. */
    String evaluate(String expression) throws Exception {
        JsonObject params = new JsonObject();
        params.addProperty("expression", expression);
        params.addProperty("returnByValue", true);
        JsonObject result = call("Runtime.evaluate", params).getAsJsonObject("result");
        return result.has("value") && !result.get("value").isJsonNull() ? result.get("value").getAsString() : "";
    }

    byte[] screenshot() throws Exception {
        JsonObject params = new JsonObject();
        params.addProperty("format", "png");
        params.addProperty("captureBeyondViewport", true);
        return Base64.getDecoder().decode(call("Page.captureScreenshot", params).get("data").getAsString());
    }

    @Override
    public void close() {
        socket.abort();
        http.close();
        stop(process);
    }

    private static void stop(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("Chromium's process " + child.pid() + " did not end", e);
            }
        }
    }
}
