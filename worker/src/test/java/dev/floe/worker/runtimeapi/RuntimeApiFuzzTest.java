package dev.floe.worker.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the Runtime API server: random bytes, mutated and pipelined requests, half-closed
 * connections, huge headers and bodies. After every case the server must have closed or answered the
 * connection (no hang), no exception may have escaped to the logs, and a well-behaved runtime on a
 * fresh connection must still get its invocation and have its response accepted.
 * {@code -Dfloe.fuzz.cases=N} runs more cases; {@code -Dfloe.fuzz.seed=S} replays a run.
 */
class RuntimeApiFuzzTest {
    private static final int CASES = Integer.getInteger("floe.fuzz.cases", 300);
    private static final long SEED = Long.getLong("floe.fuzz.seed", 2018_06_01L);
    private static final String NEXT = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\n\r\n";

    private EventLoopGroup loops;
    private RuntimeApiServer.Binding binding;
    private ScriptedEndpoint endpoint;
    private final List<LogRecord> escaped = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Handler watch = new Handler() {
        @Override
        public void publish(LogRecord record) {
            boolean ours = record.getLoggerName() != null && record.getLoggerName().startsWith("dev.floe.worker.runtimeapi");
            boolean nettys = record.getLoggerName() != null && record.getLoggerName().startsWith("io.netty")
                    && record.getLevel().intValue() >= Level.WARNING.intValue();
            if ((ours && record.getLevel().intValue() >= Level.WARNING.intValue()) || nettys) {
                escaped.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("").addHandler(watch);
        loops = EventLoops.group("fuzz-api", 1);
        endpoint = new ScriptedEndpoint();
        binding = new RuntimeApiServer(Runnable::run).bind(loops.next(), endpoint, PeerCheck.anyone()).get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        binding.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        Logger.getLogger("").removeHandler(watch);
    }

    @Test
    void noRequestHangsTheServerOrEscapesAsAnExceptionAndARuntimeIsStillServed() throws Exception {
        Random random = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            byte[] input = fuzzCase(random, i % 7);
            String what = "case " + i + " (seed " + SEED + ", kind " + (i % 7) + ")";
            sendAndAwaitClose(input, what);
            if (i % 10 == 9 || i == CASES - 1) {
                assertARuntimeIsServed(what);
            }
        }
        assertEquals(List.of(), escaped.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()
                + (r.getThrown() == null ? "" : " " + r.getThrown())).toList(), "exceptions that reached the logs");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket socket = connect()) {
            String id = nextOn(socket);
            String response = "POST /2018-06-01/runtime/invocation/" + id + "/response HTTP/1.1\r\nHost: api\r\n"
                    + "Content-Length: 2\r\n\r\n{}";
            String unknown = "POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\nHost: api\r\nContent-Length: 0\r\n\r\n";
            String missing = "GET /elsewhere HTTP/1.1\r\nHost: api\r\n\r\n";
            socket.getOutputStream().write((response + unknown + missing).getBytes(StandardCharsets.ISO_8859_1));
            String replies = readUntil(socket.getInputStream(), "no such path");
            int accepted = replies.indexOf("HTTP/1.1 202");
            int bad = replies.indexOf("HTTP/1.1 400");
            int notFound = replies.indexOf("HTTP/1.1 404");
            assertTrue(accepted >= 0 && accepted < bad && bad < notFound, replies);
        }
        assertARuntimeIsServed("after pipelining");
    }

    /** One input of {@code kind}: 0 noise, 1-2 mutated requests, 3 pipelines, 4 huge headers, 5 truncations, 6 chunked bodies. */
    private byte[] fuzzCase(Random random, int kind) {
        return switch (kind) {
            case 0 -> {
                byte[] noise = new byte[1 + random.nextInt(8192)];
                random.nextBytes(noise);
                yield noise;
            }
            case 1, 2 -> mutate(random, template(random, "x"));
            case 3 -> {
                StringBuilder pipeline = new StringBuilder();
                for (int n = 2 + random.nextInt(4); n > 0; n--) {
                    pipeline.append(template(random, endpoint.current()));
                }
                yield random.nextBoolean() ? mutate(random, pipeline.toString()) : pipeline.toString().getBytes(StandardCharsets.ISO_8859_1);
            }
            case 4 -> {
                String big = "X-Big: " + "a".repeat(1 + random.nextInt(256 * 1024)) + "\r\n";
                String many = "X-Many: b\r\n".repeat(random.nextInt(8000));
                yield ("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\n" + (random.nextBoolean() ? big : many)
                        + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            }
            case 5 -> {
                byte[] whole = template(random, endpoint.current()).getBytes(StandardCharsets.ISO_8859_1);
                yield java.util.Arrays.copyOf(whole, random.nextInt(whole.length));
            }
            default -> {
                StringBuilder chunked = new StringBuilder("POST /2018-06-01/runtime/invocation/" + endpoint.current()
                        + "/response HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int n = random.nextInt(5); n > 0; n--) {
                    String size = switch (random.nextInt(4)) {
                        case 0 -> "zz";
                        case 1 -> "ffffffffffff";
                        case 2 -> "-1";
                        default -> "3";
                    };
                    chunked.append(size).append("\r\nabc\r\n");
                }
                chunked.append(random.nextBoolean() ? "0\r\n\r\n" : "");
                yield chunked.toString().getBytes(StandardCharsets.ISO_8859_1);
            }
        };
    }

    /** A well-formed request of one of the API's calls, for {@code requestId}. */
    private static String template(Random random, String requestId) {
        String body = "{\"answer\":" + random.nextInt(1000) + "}";
        return switch (random.nextInt(5)) {
            case 0 -> NEXT;
            case 1 -> "POST /2018-06-01/runtime/invocation/" + requestId + "/response HTTP/1.1\r\nHost: api\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body;
            case 2 -> "POST /2018-06-01/runtime/invocation/" + requestId + "/error HTTP/1.1\r\nHost: api\r\n"
                    + "Lambda-Runtime-Function-Error-Type: Fuzz.Error\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            case 3 -> "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: api\r\nContent-Length: 2\r\n\r\n{}";
            default -> "POST /2018-06-01/runtime/invocation/" + requestId + "/response HTTP/1.1\r\nHost: api\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n";
        };
    }

    /** A few random edits: flipped, inserted, deleted and duplicated bytes, and broken numbers. */
    private static byte[] mutate(Random random, String request) {
        List<Byte> bytes = new ArrayList<>();
        for (byte b : request.getBytes(StandardCharsets.ISO_8859_1)) {
            bytes.add(b);
        }
        for (int n = 1 + random.nextInt(6); n > 0 && !bytes.isEmpty(); n--) {
            int at = random.nextInt(bytes.size());
            switch (random.nextInt(5)) {
                case 0 -> bytes.set(at, (byte) random.nextInt(256));
                case 1 -> bytes.add(at, (byte) "\r\n:/ 0\u0000%?".charAt(random.nextInt(9)));
                case 2 -> bytes.subList(at, Math.min(bytes.size(), at + 1 + random.nextInt(16))).clear();
                case 3 -> bytes.addAll(at, new ArrayList<>(bytes.subList(at, Math.min(bytes.size(), at + 1 + random.nextInt(64)))));
                default -> {
                    for (byte b : ("" + (random.nextBoolean() ? -random.nextInt(10) : random.nextLong())).getBytes(StandardCharsets.ISO_8859_1)) {
                        bytes.add(at++, b);
                    }
                }
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }

    /** Writes {@code input}, half-closes, and reads until the server closes: it must, within the deadline. */
    private void sendAndAwaitClose(byte[] input, String what) throws IOException {
        try (Socket socket = connect()) {
            try {
                socket.getOutputStream().write(input);
                socket.shutdownOutput();
            } catch (IOException closedWhileWriting) {
                return;
            }
            byte[] buffer = new byte[8192];
            try {
                while (socket.getInputStream().read(buffer) >= 0) {
                    // answers, if any, before the close
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError(what + ": the connection was neither answered nor closed: "
                        + new String(input, 0, Math.min(200, input.length), StandardCharsets.ISO_8859_1));
            } catch (IOException reset) {
                // a reset is a close
            }
        }
    }

    /** A runtime's turn: GET next returns an invocation, and its response is accepted. */
    private void assertARuntimeIsServed(String what) throws IOException {
        try (Socket socket = connect()) {
            String id = nextOn(socket);
            socket.getOutputStream().write(("POST /2018-06-01/runtime/invocation/" + id + "/response HTTP/1.1\r\nHost: api\r\n"
                    + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
            String reply = readUntil(socket.getInputStream(), "\"OK\"");
            assertTrue(reply.startsWith("HTTP/1.1 202"), what + ": " + reply);
        }
    }

    private String nextOn(Socket socket) throws IOException {
        socket.getOutputStream().write(NEXT.getBytes(StandardCharsets.ISO_8859_1));
        String reply = readUntil(socket.getInputStream(), "\"fuzz\":true}");
        assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
        String header = "lambda-runtime-aws-request-id: ";
        int at = reply.toLowerCase(java.util.Locale.ROOT).indexOf(header);
        return reply.substring(at + header.length(), reply.indexOf('\r', at));
    }

    private Socket connect() throws IOException {
        String[] hostPort = binding.address().split(":");
        Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
        socket.setSoTimeout(5_000);
        return socket;
    }

    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!seen.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            seen.write(buffer, 0, n);
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    /** An environment that always has an invocation to give and accepts the answer to the latest one. */
    private static final class ScriptedEndpoint implements RuntimeEndpoint {
        private volatile String current = "none-yet";
        private int delivered;

        String current() {
            return current;
        }

        @Override
        public void next(NextWaiter waiter) {
            String id = "req-" + ++delivered;
            current = id;
            waiter.deliver(new InvocationEvent(id, System.currentTimeMillis() + 3_000, "arn:aws:lambda:us-east-1:0:function:fuzz",
                    "Root=1-0-0", "", "", "{\"fuzz\":true}".getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public Reply response(String requestId, byte[] body) {
            return requestId.equals(current) ? Reply.ACCEPTED : Reply.badRequest("InvalidRequestID", "unknown request " + requestId);
        }

        @Override
        public Reply error(String requestId, String errorType, byte[] body) {
            return response(requestId, body);
        }

        @Override
        public Reply initError(String errorType, byte[] body) {
            return Reply.forbidden("InvalidStateTransition", "init is over");
        }

        @Override
        public void responseTooLarge(String requestId, long limitBytes) {}

        @Override
        public boolean expects(String requestId) {
            return requestId.equals(current);
        }

        @Override
        public boolean expectsInitError() {
            return false;
        }
    }
}
