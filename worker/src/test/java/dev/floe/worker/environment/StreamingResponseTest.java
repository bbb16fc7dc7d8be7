package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.CodePackages;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.testing.Await;
import dev.floe.worker.grpc.WorkerInvokerGrpcService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Response streaming: a runtime answering with {@code Lambda-Runtime-Function-Response-Mode: streaming}
 * reaches a gRPC caller of the worker piece by piece as it sends them, and an error in its trailers
 * ends the stream as a function error.
 */
class StreamingResponseTest {
    private PoolFixture fixture;
    private Server server;
    private ManagedChannel channel;
    private WorkerInvokerGrpc.WorkerInvokerBlockingStub worker;
    private Function function;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new WorkerInvokerGrpcService(fixture.pool, fixture.workerId, fixture.metrics.registry())).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        worker = WorkerInvokerGrpc.newBlockingStub(channel);
        function = fixture.deploy("streamer", CodePackages.zipFiles(Map.of("bootstrap", resource())),
                FunctionConfig.newBuilder().setTimeoutSeconds(30));
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        fixture.close();
    }

    private Iterator<InvokeStreamMessage> invoke(String event) {
        return worker.invokeStream(WorkerInvokeRequest.newBuilder().setFunction(function)
                .setRequestId(UUID.randomUUID().toString()).setPayload(ByteString.copyFromUtf8(event)).build());
    }

    @Test
    void theFirstChunkArrivesBeforeTheLastIsSent() throws IOException {
        Path gate = fixture.scratch.resolve("first-chunk-arrived");
        Iterator<InvokeStreamMessage> stream = invoke("{\"chunks\":3,\"gate\":\"" + gate + "\"}");

        InvokeStreamMessage first = stream.next();
        Files.writeString(gate, "yes");
        List<String> rest = new ArrayList<>();
        InvokeResponse done = null;
        while (stream.hasNext()) {
            InvokeStreamMessage m = stream.next();
            if (m.hasDone()) {
                done = m.getDone();
            } else {
                rest.add(m.getChunk().toStringUtf8());
            }
        }

        // Chunks read together go on as one message (chunk 1 follows chunk 0 at once), but never the last:
        // the runtime sends it only once the first message reached the caller.
        assertTrue(first.getChunk().toStringUtf8().startsWith("chunk 0;"), first.getChunk().toStringUtf8());
        assertEquals("chunk 0;chunk 1;last", first.getChunk().toStringUtf8() + String.join("", rest),
                "the runtime saw the gate only the caller could open");
        assertEquals("", done.getFunctionError());
        assertTrue(done.getPayload().isEmpty(), "the chunks carried the body");
    }

    @Test
    void anErrorInTheTrailersEndsTheStreamAsAFunctionError() {
        Iterator<InvokeStreamMessage> stream = invoke("{\"chunks\":2,\"fail\":true}");

        StringBuilder body = new StringBuilder();
        InvokeResponse done = null;
        while (stream.hasNext()) {
            InvokeStreamMessage m = stream.next();
            if (m.hasDone()) {
                done = m.getDone();
            } else {
                body.append(m.getChunk().toStringUtf8());
            }
        }

        assertEquals("chunk 0;chunk 1;", body.toString(), "what was sent before the error stands");
        assertEquals("Unhandled", done.getFunctionError());
        assertEquals("StreamBroke", done.getErrorType());
        assertTrue(done.getPayload().toStringUtf8().contains("broke midway"), done.getPayload().toStringUtf8());
    }

    @Test
    void aCallerThatTakesNoChunksGetsTheWholeBody() {
        InvocationResult result = fixture.invoke(function, "{\"chunks\":3}");

        assertEquals("", result.functionError());
        assertEquals("chunk 0;chunk 1;chunk 2;", PoolFixture.body(result));
    }

    @Test
    void aWarmOnlyStreamWithNoIdleEnvironmentIsRefusedNotStartedCold() {
        // The controller placed it on an idle environment that is gone: it places it again elsewhere.
        Iterator<InvokeStreamMessage> stream = worker.invokeStream(WorkerInvokeRequest.newBuilder().setFunction(function)
                .setRequestId(UUID.randomUUID().toString()).setPayload(ByteString.copyFromUtf8("{\"chunks\":1}"))
                .setWarmOnly(true).build());

        io.grpc.StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                stream::next);
        assertEquals(dev.floe.common.ErrorType.ENVIRONMENT_GONE, dev.floe.common.FloeException.fromThrowable(refused).type(),
                refused.toString());
        assertTrue(fixture.pool.views().isEmpty(), "no environment was started: " + fixture.pool.views());
    }

    @Test
    void aRuntimeThatAnswersInOnePieceGivesOneChunk() {
        Function echo = fixture.probe("plain", FunctionConfig.newBuilder());

        Iterator<InvokeStreamMessage> stream = worker.invokeStream(WorkerInvokeRequest.newBuilder().setFunction(echo)
                .setRequestId(UUID.randomUUID().toString()).setPayload(ByteString.copyFromUtf8("{\"op\":\"count\"}")).build());

        InvokeStreamMessage chunk = stream.next();
        InvokeStreamMessage done = stream.next();
        assertTrue(chunk.getChunk().toStringUtf8().contains("count"), chunk.toString());
        assertTrue(done.hasDone());
        assertTrue(!stream.hasNext());
    }

    /**
     * The worker's share of flow control, without the controller: a caller that reads one message and
     * pauses (the blocking stub asks for one at a time, over a 64 KB window) stops the worker reading the
     * runtime, so the function's write blocks within the worker's bound (gRPC's 32 KB and a 64 KB message,
     * its read queue, the socket's 256 KB kernel buffer) plus the caller's window and the function's own
     * buffer; and the worker's gauge of what waits in it stays small. Cancelling then lets the function run
     * to its end and frees its environment.
     */
    @Test
    void aPausedCallerStopsTheWorkerReadingTheRuntimeAndCancellingLetsTheFunctionFinish() throws Exception {
        Function flood = fixture.deploy("flood", CodePackages.zipFiles(Map.of("bootstrap", resource("streaming/flood"))),
                FunctionConfig.newBuilder().setTimeoutSeconds(60));
        Path record = fixture.scratch.resolve("flood-record");
        int total = 16 * 1024 * 1024;
        ManagedChannel narrow = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                .flowControlWindow(64 * 1024).build();
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        try {
            Iterator<InvokeStreamMessage> stream;
            io.grpc.Context previous = call.attach();
            try {
                stream = WorkerInvokerGrpc.newBlockingStub(narrow).invokeStream(WorkerInvokeRequest.newBuilder()
                        .setFunction(flood).setRequestId(UUID.randomUUID().toString()).setPayload(ByteString.copyFromUtf8(
                                "{\"bytes\":" + total + ",\"record\":\"" + record + "\"}")).build());
            } finally {
                call.detach(previous);
            }
            long read = stream.next().getChunk().size();

            String blocked = Await.value(Duration.ofSeconds(60), "the function blocked", () -> {
                String now = readRecord(record);
                return now.startsWith("blocked") || now.startsWith("done") ? now : null;
            });
            assertTrue(blocked.startsWith("blocked "), "the function was never held back: " + blocked);
            long ahead = Long.parseLong(blocked.substring(8)) - read;
            assertTrue(ahead <= 1024 * 1024, "the function got " + ahead + " bytes ahead of its reader (expected: at most 1 MB)");
            double waiting = fixture.metrics.registry().get("floe.worker.stream.buffered").gauge().value();
            assertTrue(waiting <= 128 * 1024, waiting + " bytes wait in the worker (expected: at most 128 KB)");

            call.cancel(null);

            Await.until(Duration.ofSeconds(60), "the function finished its response", () -> readRecord(record).equals("done " + total));
            Await.until(Duration.ofSeconds(20), "its environment released", () -> fixture.pool.views().stream()
                    .anyMatch(v -> v.function().equals("flood") && (v.state() == EnvironmentState.IDLE || v.state() == EnvironmentState.FROZEN)));
        } finally {
            call.cancel(null);
            narrow.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String readRecord(Path record) {
        try {
            return Files.readString(record).trim();
        } catch (java.nio.file.NoSuchFileException notYet) {
            return "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String resource() {
        return resource("streaming/bootstrap");
    }

    private static String resource(String name) {
        try (InputStream in = StreamingResponseTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
