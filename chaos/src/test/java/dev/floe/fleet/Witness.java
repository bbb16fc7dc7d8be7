package dev.floe.fleet;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server that records the bodies POSTed to {@code /seen}: an asynchronous invocation of
 * the probe function calling it ({@link #event}) proves from outside the fleet that it ran.
 */
final class Witness implements AutoCloseable {
    private final HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    Witness() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/seen", exchange -> {
            seen.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    /** The probe function's event that POSTs {@code body} here. */
    String event(String body) {
        return "{\"op\":\"http\",\"calls\":[{\"endpoint\":\"127.0.0.1:" + server.getAddress().getPort()
                + "\",\"method\":\"POST\",\"path\":\"/seen\",\"body\":\"" + body + "\"}]}";
    }

    boolean saw(String body) {
        return seen.contains(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
