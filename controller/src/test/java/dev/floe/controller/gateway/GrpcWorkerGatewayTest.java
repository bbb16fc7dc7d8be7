package dev.floe.controller.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.controller.gateway.WorkerCallException.Outcome;
import dev.floe.controller.registry.FleetSubscriber.Departure;
import dev.floe.controller.registry.RecordingConnection;
import dev.floe.controller.registry.WorkerInfo;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.ProvisionRequest;
import dev.floe.proto.ProvisionResponse;
import dev.floe.proto.Sandbox;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.testing.Await;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What each way a worker call can end comes to, against a real worker server on loopback. */
class GrpcWorkerGatewayTest {
    /** What the worker answers, by payload; an unknown payload is never answered. */
    private volatile java.util.function.Function<String, Object> script = payload -> null;
    private final List<String> arrived = new CopyOnWriteArrayList<>();
    private final List<String> cancelled = new CopyOnWriteArrayList<>();
    private final List<ManagedChannel> opened = new CopyOnWriteArrayList<>();
    private Server server;
    private GrpcWorkerGateway gateway;

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                .addService(new WorkerInvokerGrpc.WorkerInvokerImplBase() {
                    @Override
                    public void invoke(WorkerInvokeRequest request, StreamObserver<InvokeResponse> answer) {
                        String payload = request.getPayload().toStringUtf8();
                        ((ServerCallStreamObserver<InvokeResponse>) answer).setOnCancelHandler(() -> cancelled.add(payload));
                        arrived.add(payload);
                        Object scripted = script.apply(payload);
                        if (scripted instanceof Throwable t) {
                            answer.onError(t);
                        } else if (scripted instanceof InvokeResponse r) {
                            answer.onNext(r);
                            answer.onCompleted();
                        }
                    }

                    @Override
                    public void invokeStream(WorkerInvokeRequest request, StreamObserver<InvokeStreamMessage> answer) {
                        for (String piece : request.getPayload().toStringUtf8().split(",")) {
                            answer.onNext(InvokeStreamMessage.newBuilder().setChunk(ByteString.copyFromUtf8(piece)).build());
                        }
                        answer.onNext(InvokeStreamMessage.newBuilder().setDone(InvokeResponse.newBuilder().setRequestId("r")).build());
                        answer.onCompleted();
                    }

                    @Override
                    public void provision(ProvisionRequest request, StreamObserver<ProvisionResponse> answer) {
                        if (request.getCount() > 3) {
                            answer.onError(new FloeException(ErrorType.INVALID_PARAMETER, "count: " + request.getCount()
                                    + " (expected: at most 3)").toStatus());
                            return;
                        }
                        answer.onNext(ProvisionResponse.newBuilder().setHeld(Math.min(2, request.getCount())).build());
                        answer.onCompleted();
                    }
                }).build().start();
        gateway = new GrpcWorkerGateway(address -> {
            ManagedChannel channel = NettyChannelBuilder.forTarget(address.toString()).usePlaintext().build();
            opened.add(channel);
            return channel;
        });
    }

    @AfterEach
    void stop() {
        gateway.close(Duration.ZERO);
        server.shutdownNow();
    }

    private RecordingConnection join(String id, int port) {
        RecordingConnection link = new RecordingConnection();
        gateway.workerJoined(new WorkerInfo(id, HostPort.parse("127.0.0.1:" + port), 1024, 0, 0, 0,
                Sandbox.getDefaultInstance(), Instant.EPOCH, null), link);
        return link;
    }

    private static WorkerInvokeRequest request(String payload) {
        return WorkerInvokeRequest.newBuilder().setRequestId("req-1").setPayload(ByteString.copyFromUtf8(payload))
                .setFunction(Function.newBuilder().setName("fn")).build();
    }

    private CompletableFuture<InvokeResponse> invoke(String worker, String payload, Duration deadline) {
        return gateway.invoke(worker, request(payload), Deadline.after(deadline.toMillis(), TimeUnit.MILLISECONDS));
    }

    private static WorkerCallException ended(CompletableFuture<?> call) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(WorkerCallException.class, e.getCause());
    }

    @Test
    void eachRefusalComesBackAsWhatItMeansForTheInvocation() {
        join("w", server.getPort());
        script = payload -> switch (payload) {
            case "gone" -> new FloeException(ErrorType.ENVIRONMENT_GONE, "no idle environment of fn").toStatus();
            case "full" -> new FloeException(ErrorType.WORKER_FULL, "no room for 128 MB").toStatus();
            case "retired" -> new FloeException(ErrorType.SERVICE_UNAVAILABLE, "its environment was retired").toStatus();
            case "untyped-unavailable" -> Status.UNAVAILABLE.withDescription("going away").asRuntimeException();
            case "too-big" -> Status.RESOURCE_EXHAUSTED.withDescription("gRPC message exceeds maximum size 4194304").asRuntimeException();
            case "bad" -> new FloeException(ErrorType.SERVICE, "cannot get the code of fn: disk full").toStatus();
            case "ok" -> InvokeResponse.newBuilder().setRequestId("req-1").setPayload(ByteString.copyFromUtf8("fine")).build();
            default -> null;
        };

        assertEquals("fine", invoke("w", "ok", Duration.ofSeconds(10)).join().getPayload().toStringUtf8());
        assertEquals(Outcome.GONE, ended(invoke("w", "gone", Duration.ofSeconds(10))).outcome());
        assertEquals(Outcome.FULL, ended(invoke("w", "full", Duration.ofSeconds(10))).outcome());
        WorkerCallException retired = ended(invoke("w", "retired", Duration.ofSeconds(10)));
        assertEquals(Outcome.MAY_HAVE_RUN, retired.outcome(), "the worker said so itself: the invocation may have run");
        assertEquals("its environment was retired", retired.error().getMessage());
        // The worker had the request when its connection failed: it may have started it, so it is not run elsewhere too.
        assertEquals(Outcome.MAY_HAVE_RUN, ended(invoke("w", "untyped-unavailable", Duration.ofSeconds(10))).outcome());
        WorkerCallException tooBig = ended(invoke("w", "too-big", Duration.ofSeconds(10)));
        assertEquals(Outcome.FAILED, tooBig.outcome(), "gRPC's own limits are not a full worker");
        assertEquals(ErrorType.SERVICE, tooBig.error().type());
        assertEquals("worker w could not take invocation req-1 of fn: gRPC message exceeds maximum size 4194304",
                tooBig.error().getMessage());
        WorkerCallException bad = ended(invoke("w", "bad", Duration.ofSeconds(10)));
        assertEquals(Outcome.FAILED, bad.outcome());
        assertEquals("cannot get the code of fn: disk full", bad.error().getMessage());
        WorkerCallException late = ended(invoke("w", "never", Duration.ofMillis(200)));
        assertEquals(Outcome.MAY_HAVE_RUN, late.outcome());
        assertEquals(ErrorType.SERVICE_UNAVAILABLE, late.error().type());
        assertEquals("worker w did not answer invocation req-1 of fn before its deadline", late.error().getMessage());
    }

    @Test
    void aWorkerNobodyListensAtOrThatLeftIsUnreachable() throws IOException {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        join("gone-away", closedPort);

        assertEquals(Outcome.UNREACHABLE, ended(invoke("gone-away", "ok", Duration.ofSeconds(10))).outcome());
        WorkerCallException left = ended(invoke("never-joined", "ok", Duration.ofSeconds(10)));
        assertEquals(Outcome.UNREACHABLE, left.outcome());
        assertEquals("worker never-joined left the fleet", left.error().getMessage());
    }

    /**
     * Issue 10: a worker killed while running an invocation (its connection reset, as a process killed
     * with SIGKILL leaves it), or stopping with it in flight: the caller is told it may or may not have
     * run, not that no worker could be reached, and it is not run again elsewhere.
     */
    @Test
    void aWorkerThatDiesMidInvocationMayHaveRunIt() throws Exception {
        try (Relay relay = new Relay(server.getPort())) {
            join("w", relay.port());
            CompletableFuture<InvokeResponse> call = invoke("w", "hangs", Duration.ofMinutes(1));
            Await.until(Duration.ofSeconds(10), "the call to reach the worker", () -> arrived.contains("hangs"));

            relay.reset();

            WorkerCallException lost = ended(call);
            assertEquals(Outcome.MAY_HAVE_RUN, lost.outcome());
            assertEquals(ErrorType.SERVICE_UNAVAILABLE, lost.error().type());
            assertTrue(lost.error().getMessage().startsWith("worker w was lost while running invocation req-1 of fn ("),
                    lost.error().getMessage());
            assertTrue(lost.error().getMessage().endsWith("); it may or may not have run: retry it if that is safe"),
                    lost.error().getMessage());
        }
        gateway.workerLeft("w", Departure.ENDED, "test");
        join("w", server.getPort());
        CompletableFuture<InvokeResponse> stopping = invoke("w", "hangs-too", Duration.ofMinutes(1));
        Await.until(Duration.ofSeconds(10), "the call to reach the worker", () -> arrived.contains("hangs-too"));

        server.shutdownNow(); // a worker stopping with the call in flight cancels it

        WorkerCallException lost = ended(stopping);
        assertEquals(Outcome.MAY_HAVE_RUN, lost.outcome());
        assertEquals(ErrorType.SERVICE_UNAVAILABLE, lost.error().type());
        assertTrue(lost.error().getMessage().startsWith("worker w was lost while running invocation req-1 of fn ("), lost.error().getMessage());
        assertTrue(lost.error().getMessage().endsWith("); it may or may not have run: retry it if that is safe"), lost.error().getMessage());
    }

    /** A TCP relay to the worker whose connections can be reset, as the kernel resets a killed process's. */
    private static final class Relay implements AutoCloseable {
        private final java.net.ServerSocket listener = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<java.net.Socket> sockets = new CopyOnWriteArrayList<>();

        Relay(int target) throws IOException {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        java.net.Socket in = listener.accept();
                        java.net.Socket out = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                        sockets.add(in);
                        sockets.add(out);
                        pipe(in, out);
                        pipe(out, in);
                    }
                } catch (IOException closed) {
                    // the relay was closed
                }
            });
        }

        private static void pipe(java.net.Socket from, java.net.Socket to) {
            Thread.ofVirtual().start(() -> {
                try {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (IOException closed) {
                    // one side went
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        /** Resets every connection: a RST, no FIN, as for a process killed. */
        void reset() throws IOException {
            for (java.net.Socket socket : sockets) {
                if (!socket.isClosed()) {
                    socket.setSoLinger(true, 0);
                    socket.close();
                }
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            reset();
        }
    }

    @Test
    void aSilentWorkerFailsItsCallsInFlightAtOnceAndCancelsThem() {
        join("w", server.getPort());
        CompletableFuture<InvokeResponse> call = invoke("w", "hangs", Duration.ofMinutes(1));
        Await.until(Duration.ofSeconds(10), "the call to reach the worker", () -> arrived.contains("hangs"));

        gateway.workerLeft("w", Departure.SILENT, "no heartbeat for 5000 ms");

        WorkerCallException lost = ended(call);
        assertEquals(Outcome.MAY_HAVE_RUN, lost.outcome());
        assertEquals("worker w was lost while running invocation req-1 of fn (no heartbeat for 5000 ms); it may or may not"
                + " have run: retry it if that is safe", lost.error().getMessage());
        Await.until(Duration.ofSeconds(10), "the worker to see the call cancelled", () -> cancelled.contains("hangs"));
        assertTrue(opened.getFirst().isShutdown());
    }

    @Test
    void aWorkerThatEndsItsStreamFinishesItsCallsAndItsChannelClosesAfter() {
        join("w", server.getPort());
        CompletableFuture<InvokeResponse> call = invoke("w", "slow", Duration.ofMinutes(1));
        Await.until(Duration.ofSeconds(10), "the call to reach the worker", () -> arrived.contains("slow"));

        gateway.workerLeft("w", Departure.ENDED, "its stream ended");

        assertTrue(opened.getFirst().isShutdown(), "no new call goes to it");
        assertTrue(!call.isDone() && cancelled.isEmpty(), "the call in flight still gets its answer");
        assertEquals(Outcome.UNREACHABLE, ended(invoke("w", "ok", Duration.ofSeconds(10))).outcome());
    }

    @Test
    void aStreamedAnswerGoesToTheSinkPieceByPiece() {
        join("w", server.getPort());
        List<String> pieces = new CopyOnWriteArrayList<>();

        InvokeResponse done = gateway.invokeStream("w", request("a,b,c"), Deadline.after(10, TimeUnit.SECONDS), (chunk, more) -> {
            pieces.add(chunk.toStringUtf8());
            more.run();
        }).join();

        assertEquals(List.of("a", "b", "c"), pieces);
        assertEquals("r", done.getRequestId());
    }

    @Test
    void provisioningAnswersWhatTheWorkerHoldsAndRetirementsGoOnEveryLink() {
        RecordingConnection a = join("a", server.getPort());
        RecordingConnection b = join("b", server.getPort());
        Function fn = Function.newBuilder().setName("fn").build();

        assertEquals(2, gateway.provision("a", fn, 3).join(), "no room for a third");
        WorkerCallException refused = ended(gateway.provision("a", fn, 4));
        assertEquals(Outcome.FAILED, refused.outcome());
        assertEquals("count: 4 (expected: at most 3)", refused.error().getMessage());
        gateway.retire("fn", Set.of("rev-2"));

        assertEquals(List.of("fn@rev-2"), a.retired);
        assertEquals(List.of("fn@rev-2"), b.retired);
    }
}
