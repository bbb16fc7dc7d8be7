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
                .addService(new WorkerInvokerGrpcService(fixture.pool, fixture.workerId)).build().start();
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

        assertEquals("chunk 0;", first.getChunk().toStringUtf8());
        assertEquals("chunk 1;last", String.join("", rest), "the runtime saw the gate only the caller could open");
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

    private static String resource() {
        try (InputStream in = StreamingResponseTest.class.getResourceAsStream("streaming/bootstrap")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
