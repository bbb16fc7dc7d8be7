package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaAsyncClient;
import software.amazon.awssdk.services.lambda.model.InvokeWithResponseStreamCompleteEvent;
import software.amazon.awssdk.services.lambda.model.InvokeWithResponseStreamRequest;
import software.amazon.awssdk.services.lambda.model.InvokeWithResponseStreamResponse;
import software.amazon.awssdk.services.lambda.model.InvokeWithResponseStreamResponseHandler;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/**
 * InvokeWithResponseStream through the real AWS SDK for Java v2's async client: a streaming function's
 * pieces arrive in order and before the function has ended, an error after the first piece comes in
 * InvokeComplete, the log tail too, a function that does not stream gives its whole answer as one
 * piece, and a refusal before anything ran is the SDK's typed exception.
 */
class LambdaResponseStreamIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static FleetFixture fleet;
    private static LambdaAsyncClient lambda;

    @BeforeAll
    static void start() throws IOException {
        // aClientThatStopsReadingHoldsTheFunctionBack speaks HTTP by hand, unsigned: this fleet takes any request
        // (LambdaSdkIT and AwsCliIT sign with the controller's key).
        fleet = new FleetFixture(1, 1024, java.util.function.UnaryOperator.identity(),
                b -> b.lambdaCredentials(dev.floe.controller.lambdaapi.LambdaCredentials.anyone()));
        byte[] streamer;
        try (InputStream in = LambdaResponseStreamIT.class.getResourceAsStream("streaming-bootstrap")) {
            streamer = CodePackages.zipFiles(Map.of("bootstrap", new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        fleet.client.createFunction("sdk-streamer", streamer, FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("stream").setTimeoutSeconds(30).build());
        fleet.client.createFunction("sdk-flood", CodePackages.zipFiles(Map.of("bootstrap", dev.floe.launcher.Examples.bootstrap("stream-flood"))),
                FunctionConfig.newBuilder().setRuntime("provided").setHandler("flood").setTimeoutSeconds(60).build());
        fleet.client.createFunction("sdk-buffered", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("probe.handler").setTimeoutSeconds(30).build());
        lambda = LambdaAsyncClient.builder()
                .endpointOverride(fleet.fleet.lambdaEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDANYTHING", "any-secret")))
                .httpClient(NettyNioAsyncHttpClient.builder().readTimeout(WAIT).build())
                .overrideConfiguration(c -> c.retryPolicy(RetryPolicy.none()))
                .build();
    }

    @AfterAll
    static void stop() {
        if (lambda != null) {
            lambda.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    /** What the SDK handed the caller: the response, each PayloadChunk's bytes in order, and InvokeComplete. */
    record Received(InvokeWithResponseStreamResponse response, List<String> pieces, InvokeWithResponseStreamCompleteEvent complete) {}

    private static Received invoke(InvokeWithResponseStreamRequest request, Consumer<String> onPiece) throws Exception {
        AtomicReference<InvokeWithResponseStreamResponse> response = new AtomicReference<>();
        AtomicReference<InvokeWithResponseStreamCompleteEvent> complete = new AtomicReference<>();
        List<String> pieces = new CopyOnWriteArrayList<>();
        InvokeWithResponseStreamResponseHandler handler = InvokeWithResponseStreamResponseHandler.builder()
                .onResponse(response::set)
                .subscriber(InvokeWithResponseStreamResponseHandler.Visitor.builder()
                        .onPayloadChunk(chunk -> {
                            String piece = chunk.payload().asUtf8String();
                            pieces.add(piece);
                            onPiece.accept(piece);
                        })
                        .onInvokeComplete(complete::set)
                        .build())
                .build();
        lambda.invokeWithResponseStream(request, handler).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return new Received(response.get(), List.copyOf(pieces), complete.get());
    }

    private static InvokeWithResponseStreamRequest request(String function, String payload) {
        return InvokeWithResponseStreamRequest.builder().functionName(function).payload(SdkBytes.fromUtf8String(payload)).build();
    }

    @Test
    void piecesArriveInOrderWhileTheFunctionIsStillRunning() throws Exception {
        Path scratch = Files.createDirectories(fleet.scratch.resolve("sdk"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path gate = scratch.resolve("first-piece-arrived");

        // The function writes its last piece only once the gate exists, and the gate is made when the
        // first piece reached the client: "last" (not "late") proves the first came before the end.
        Received got = invoke(request("sdk-streamer", "{\"chunks\":2,\"gate\":\"" + gate + "\"}"), piece -> {
            try {
                Files.writeString(gate, "yes");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        assertEquals(200, got.response().statusCode());
        assertEquals("$LATEST", got.response().executedVersion());
        assertEquals("application/vnd.amazon.eventstream", got.response().responseStreamContentType());
        assertEquals("chunk 0;", got.pieces().getFirst());
        assertEquals("chunk 0;last", String.join("", got.pieces()));
        assertNull(got.complete().errorCode(), got.complete().toString());
        assertNull(got.complete().logResult(), "no tail asked for");
    }

    @Test
    void anErrorAfterTheFirstPieceComesInInvokeCompleteWithTheLogTail() throws Exception {
        Received got = invoke(request("sdk-streamer", "{\"chunks\":2,\"fail\":true}").toBuilder().logType(LogType.TAIL)
                .qualifier("1").build(), piece -> {});

        assertEquals(200, got.response().statusCode());
        assertEquals("1", got.response().executedVersion());
        assertEquals("chunk 0;chunk 1;", String.join("", got.pieces()));
        assertEquals("StreamBroke", got.complete().errorCode());
        assertEquals("broke midway", got.complete().errorDetails());
        String log = new String(Base64.getDecoder().decode(got.complete().logResult()), StandardCharsets.UTF_8);
        assertTrue(log.contains("streaming 2 chunks"), log);
        assertTrue(log.contains("START RequestId") && log.contains("REPORT RequestId"), log);
    }

    @Test
    void aFunctionThatDoesNotStreamGivesItsWholeAnswerAsOnePiece() throws Exception {
        Received got = invoke(request("sdk-buffered", "{\"op\":\"echo\",\"value\":\"whole\"}"), piece -> {});

        assertEquals(1, got.pieces().size(), got.pieces().toString());
        assertTrue(got.pieces().getFirst().contains("whole"), got.pieces().getFirst());
        assertNull(got.complete().errorCode());
    }

    /**
     * A client that stops reading holds the function back: the function gets at most a bound ahead of
     * what the client read, and the client then gets the whole response. Between them lie the gRPC
     * path's bound (about 2 MB, see StreamFlowControlTest), Netty's 64 KB high-water mark, the
     * controller socket's send buffer (auto-tuned up to tcp_wmem's maximum) and the client's receive
     * buffer (64 KB, doubled by Linux).
     */
    @Test
    void aClientThatStopsReadingHoldsTheFunctionBack() throws Exception {
        int total = 16 * 1024 * 1024;
        Path scratch = Files.createDirectories(fleet.scratch.resolve("sdk-flood"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path record = scratch.resolve("slow-http");
        // readAllLines: Files.readString reads a /proc file, whose size is 0, only in part.
        String[] wmem = Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_wmem")).getFirst().trim().split("\\s+");
        long bound = 2L * 1024 * 1024 + Long.parseLong(wmem[2]) + 64 * 1024 + 256 * 1024;
        byte[] event = ("{\"bytes\":" + total + ",\"piece\":65536,\"record\":\"" + record + "\"}").getBytes(StandardCharsets.UTF_8);

        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new InetSocketAddress(fleet.fleet.lambdaEndpoint().getHost(), fleet.fleet.lambdaEndpoint().getPort()));
            client.getOutputStream().write(("POST /2021-11-15/functions/sdk-flood/response-streaming-invocations HTTP/1.1\r\n"
                    + "Host: floe\r\nContent-Type: application/json\r\nContent-Length: " + event.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().write(event);
            client.getOutputStream().flush();
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            while (read < 1024 * 1024) {
                int n = in.read(buffer);
                assertTrue(n > 0, "the answer ended after " + read + " bytes");
                read += n;
            }

            long blockedAt = FloodRecord.awaitBlockedBeyond(record, read);
            assertTrue(blockedAt - read <= bound, "the function had sent " + blockedAt + " bytes when the client had read "
                    + read + " (expected: at most " + bound + " more)");

            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            for (int n; (n = in.read(buffer)) > 0; ) {
                read += n;
                tail.write(buffer, 0, n);
                if (tail.size() > 1024 * 1024) {
                    tail.reset();
                    tail.write(buffer, 0, n);
                }
            }
            assertTrue(read > total, "read " + read + " bytes (expected: the " + total + " of the response and the framing)");
            String end = tail.toString(StandardCharsets.ISO_8859_1);
            assertTrue(end.contains("InvokeComplete") && end.endsWith("\r\n0\r\n\r\n"), "ends with InvokeComplete, then the last chunk");
            assertFalse(end.contains("ErrorCode"), "ends with an InvokeComplete without error");
        }
        Await.until(Duration.ofSeconds(20), "the function finished", () -> FloodRecord.read(record).equals("done " + total));
    }



    @Test
    void aRefusalBeforeAnythingRanIsAnOrdinaryLambdaError() {
        ExecutionException missing = assertThrows(ExecutionException.class, () -> invoke(request("sdk-no-such", "{}"), piece -> {}));
        ResourceNotFoundException notFound = assertInstanceOf(ResourceNotFoundException.class, missing.getCause());
        assertEquals(404, notFound.statusCode());
        assertTrue(notFound.getMessage().contains("sdk-no-such"), notFound.getMessage());
        ExecutionException noVersion = assertThrows(ExecutionException.class,
                () -> invoke(request("sdk-streamer", "{}").toBuilder().qualifier("9").build(), piece -> {}));
        assertInstanceOf(ResourceNotFoundException.class, noVersion.getCause());
    }
}
