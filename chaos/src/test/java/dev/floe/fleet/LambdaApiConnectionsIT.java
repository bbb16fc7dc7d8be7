package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.Controller;
import dev.floe.controller.lambdaapi.ConnectionLimits;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.TestDirs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Lambda API's connection limits, with real sockets: a quiet connection is closed after the idle
 * timeout, a request that stops arriving gets a 408, an Invoke running far longer than the idle timeout
 * is answered on its connection, and connections past the cap are closed while the others serve on.
 */
class LambdaApiConnectionsIT {
    private static final Duration IDLE = Duration.ofSeconds(1);
    private static final Duration READ = Duration.ofSeconds(1);
    /** How long a test waits for an answer or a close: long enough for a loaded machine. */
    private static final int SOCKET_TIMEOUT_MS = 120_000;

    private static FleetFixture fleet;
    private static Path capped;
    private static Controller cappedController;
    private static Controller perAddress;
    /** Default keys and limits: what the probe met. */
    private static Controller keyed;

    @BeforeAll
    static void start() throws Exception {
        // These tests are about connections, sent by hand: no signatures.
        fleet = new FleetFixture(1, 1024, UnaryOperator.identity(), b -> b.lambdaCredentials(LambdaCredentials.anyone())
                .lambdaConnections(ConnectionLimits.DEFAULT.withIdleTimeout(IDLE).withReadTimeout(READ)));
        capped = TestDirs.create("lambda-cap");
        cappedController = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(capped.resolve("open"))
                .lambdaCredentials(LambdaCredentials.anyone())
                .lambdaConnections(ConnectionLimits.DEFAULT.withMaxConnections(3).withMaxConnectionsPerAddress(3)).build().start();
        perAddress = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(capped.resolve("per-address"))
                .lambdaCredentials(LambdaCredentials.anyone())
                .lambdaConnections(ConnectionLimits.DEFAULT.withMaxConnections(4).withMaxConnectionsPerAddress(2)).build().start();
        keyed = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(capped.resolve("keyed")).build().start();
    }

    @AfterAll
    static void stop() {
        for (Controller c : new Controller[] {cappedController, perAddress, keyed}) {
            if (c != null) {
                c.close();
            }
        }
        if (capped != null) {
            TestDirs.delete(capped);
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aQuietConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        long start = System.nanoTime();
        try (Socket socket = connect(fleet.fleet.controller().lambdaPort())) {
            assertEquals(-1, socket.getInputStream().read(), "the server closes the connection without a word");
            assertTrue(System.nanoTime() - start >= IDLE.toNanos(), "not before the idle timeout");
        }
        // After an answer too: the clock restarts when the answer is written.
        try (Socket socket = connect(fleet.fleet.controller().lambdaPort())) {
            assertEquals(200, exchange(socket, "GET", "/2015-03-31/functions/", "").status());
            long answered = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read());
            assertTrue(System.nanoTime() - answered >= IDLE.toNanos() - Duration.ofMillis(50).toNanos());
        }
    }

    @Test
    void aRequestThatStopsArrivingGetsA408() throws IOException {
        // Slowloris: the headers never end.
        try (Socket socket = connect(fleet.fleet.controller().lambdaPort())) {
            long start = System.nanoTime();
            send(socket, "POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: floe\r\nX-Amz-Invoc");
            Response response = read(socket.getInputStream());
            assertNotNull(response, "an answer before the close");
            assertEquals(408, response.status(), response.toString());
            assertEquals("RequestTimeoutException", response.header("x-amzn-errortype"));
            assertTrue(response.body().contains("headers did not arrive whole within 1000 ms"), response.body());
            assertTrue(System.nanoTime() - start >= READ.toNanos(), "not before the read timeout");
            assertEquals(-1, socket.getInputStream().read(), "then the connection is closed");
        }
        // A body that stops half way.
        try (Socket socket = connect(fleet.fleet.controller().lambdaPort())) {
            send(socket, "POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: floe\r\nContent-Length: 100\r\n\r\n{\"op\":");
            Response response = read(socket.getInputStream());
            assertNotNull(response, "an answer before the close");
            assertEquals(408, response.status(), response.toString());
            assertTrue(response.body().contains("the body paused for more than 1000 ms"), response.body());
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void anInvokeRunningLongerThanTheIdleTimeoutIsAnsweredOnItsConnection() throws IOException {
        fleet.createProbe("long-invoke", FunctionConfig.newBuilder().setTimeoutSeconds(60));
        try (Socket socket = connect(fleet.fleet.controller().lambdaPort())) {
            long start = System.nanoTime();
            Response slept = exchange(socket, "POST", "/2015-03-31/functions/long-invoke/invocations", "{\"op\":\"sleep\",\"seconds\":4}");
            assertEquals(200, slept.status(), slept.toString());
            assertTrue(slept.body().contains("\"slept\""), slept.body());
            assertTrue(System.nanoTime() - start >= Duration.ofSeconds(4).toNanos());
            // The connection was kept and serves the next request.
            Response next = exchange(socket, "POST", "/2015-03-31/functions/long-invoke/invocations", "{\"op\":\"count\"}");
            assertEquals(200, next.status(), next.toString());
        }
    }

    @Test
    void connectionsPastTheCapAreClosedWhileTheOthersServe() throws IOException {
        int port = cappedController.lambdaPort();
        List<Socket> admitted = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket socket = connect(port);
                admitted.add(socket);
                assertEquals(200, exchange(socket, "GET", "/2015-03-31/functions/", "").status());
            }
            try (Socket extra = connect(port)) {
                assertNull(tryExchange(extra), "the fourth connection is closed unanswered");
            }
            for (Socket socket : admitted) {
                assertEquals(200, exchange(socket, "GET", "/2015-03-31/functions/", "").status(), "the admitted ones serve on");
            }
            admitted.removeFirst().close();
            // The close reaches the server asynchronously: a new connection is admitted once it has.
            Await.until(Duration.ofSeconds(30), "a connection admitted once one of the three closed", () -> {
                try (Socket again = connect(port)) {
                    Response response = tryExchange(again);
                    return response != null && response.status() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            for (Socket socket : admitted) {
                socket.close();
            }
        }
    }

    /** Two addresses at their limit leave room for a third; a fourth connection from one of them is refused. */
    @Test
    void oneAddressCannotTakeMoreThanItsShare() throws IOException {
        int port = perAddress.lambdaPort();
        List<Socket> held = new ArrayList<>();
        try {
            for (String from : new String[] {"127.0.0.2", "127.0.0.2", "127.0.0.3"}) {
                Socket socket = connect(from, port);
                held.add(socket);
                assertEquals(200, exchange(socket, "GET", "/2015-03-31/functions/", "").status(), "served, so trusted: " + from);
            }
            try (Socket third = connect("127.0.0.2", port)) {
                assertNull(tryExchange(third), "127.0.0.2 holds its 2 already: closed unanswered");
            }
            try (Socket other = connect("127.0.0.4", port)) {
                assertEquals(200, exchange(other, "GET", "/2015-03-31/functions/", "").status(), "another address still gets in");
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /**
     * Issue 10's probe: two functions, each holding 1,000 idle connections, one from the machine's own
     * address as a function on the controller's machine would (the address its user calls from), one from
     * another, with the default limits and keys. Connections that never sent a request with a valid
     * signature give way to new ones, so a client with the key still gets in, from the same address.
     */
    @Test
    void connectionsThatNeverSentASignedRequestCannotKeepAClientOut() throws Exception {
        int port = keyed.lambdaPort();
        List<Socket> idle = new ArrayList<>();
        try {
            for (String from : new String[] {"127.0.0.1", "127.0.0.5"}) {
                for (int i = 0; i < 1_000; i++) {
                    idle.add(connect(from, port));
                }
            }
            LambdaCredentials.Key key = keyed.lambdaCredentials().first().orElseThrow();
            try (software.amazon.awssdk.services.lambda.LambdaClient lambda = LambdaSdkIT.client(
                    java.net.URI.create("http://127.0.0.1:" + port), key.id(), key.secret())) {
                assertEquals(0, lambda.listFunctions().functions().size(), "a client with the key is served");
            }
            // The connections that made room were the oldest idle ones, closed by the server.
            assertEquals(-1, idle.getFirst().getInputStream().read());
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        return connect("127.0.0.1", port);
    }

    /** A connection from {@code from}, one of this machine's loopback addresses. */
    private static Socket connect(String from, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new java.net.InetSocketAddress(from, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        socket.setSoTimeout(SOCKET_TIMEOUT_MS);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static Response exchange(Socket socket, String method, String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        send(socket, method + " " + path + " HTTP/1.1\r\nHost: floe\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body);
        Response response = read(socket.getInputStream());
        assertNotNull(response, method + " " + path + ": the connection closed without an answer");
        return response;
    }

    /** The answer to a request, or null if the connection was closed (or reset) without one. */
    private static Response tryExchange(Socket socket) {
        try {
            send(socket, "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: floe\r\n\r\n");
            return read(socket.getInputStream());
        } catch (java.net.SocketException closed) {
            return null;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One HTTP/1.1 answer with a Content-Length, or null at the end of the stream before any byte. */
    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("the connection closed in the middle of an answer: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        java.util.Map<String, String> headers = new java.util.HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private record Response(int status, java.util.Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name);
        }
    }
}
