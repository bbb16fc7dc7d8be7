package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.FloeException;
import dev.floe.common.Lifecycles;
import dev.floe.controller.function.Packages;
import dev.floe.proto.CreateFunctionRequest;
import dev.floe.proto.FetchCodeRequest;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.FunctionsGrpc;
import dev.floe.proto.ListFunctionsRequest;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.WorkerLinkGrpc;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the cluster's own parties get in: a caller without the token, or with another cluster's, is
 * refused before any service sees its call, whatever it calls, a worker's registration included.
 */
class ClusterTokenTest {
    @TempDir
    Path dataDir;
    private ControllerFixture fx;
    private EventLoopGroup loops;

    @BeforeEach
    void start() {
        fx = ControllerFixture.start(dataDir);
        loops = EventLoops.group("test-client-stranger", 1);
    }

    @AfterEach
    void stop() {
        Lifecycles.shutdown(loops, Duration.ofSeconds(5));
        fx.close();
    }

    @Test
    void theControllerKeepsItsTokenInItsDataDirectoryForItsOwnerOnly() throws Exception {
        Path file = dataDir.resolve("token");

        assertEquals(fx.controller.token(), ClusterToken.read(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(Files.readString(file).strip().length() >= 43, "32 random bytes");
        assertEquals("ClusterToken[redacted]", fx.controller.token().toString(), "a token never reaches a log");
    }

    @Test
    void aCallWithoutTheTokenIsRefusedAndChangesNothing() {
        FloeException missing = refused(call(null, functions -> functions.createFunction(create("intruder"))));
        assertTrue(missing.getMessage().startsWith("this Floe cluster requires its token"), missing.getMessage());

        FloeException wrong = refused(call(ClusterToken.generate(), functions -> functions.createFunction(create("intruder"))));
        assertTrue(wrong.getMessage().startsWith("the cluster token does not match this Floe cluster's (expected: the controller's"),
                wrong.getMessage());

        assertEquals(0, fx.functions().listFunctions(ListFunctionsRequest.getDefaultInstance()).getFunctionsCount());
    }

    @Test
    void aStrangerCannotFetchAFunctionsCode() {
        String sha = fx.create("secret", 128).getCodeSha256();

        ManagedChannel channel = channel(ClusterToken.generate());
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> WorkerLinkGrpc.newBlockingStub(channel)
                    .fetchCode(FetchCodeRequest.newBuilder().setSha256(sha).build()).hasNext());
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        } finally {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
    }

    @Test
    void aWorkerWithAnotherTokenIsNotAdmittedToTheFleet() throws Exception {
        ManagedChannel channel = channel(ClusterToken.generate());
        try {
            FloeException refusal = dev.floe.testing.Registrations.refusal(channel, "rogue", Duration.ofSeconds(10));
            assertEquals("UnrecognizedClientException", refusal.type().wireName());
            assertEquals(List.of(), fx.fleet().listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList());
        } finally {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
    }

    @Test
    void theSameTokenGetsIn() throws Exception {
        ClusterToken copy = ClusterToken.parse(fx.controller.token().reveal() + "\n");
        assertEquals(fx.controller.token(), copy);
        assertNotEquals(fx.controller.token(), ClusterToken.generate());

        assertEquals("let-in", call(copy, functions -> functions.createFunction(create("let-in"))).get().getName());
    }

    private static CreateFunctionRequest create(String name) {
        return CreateFunctionRequest.newBuilder().setName(name).setCodeZip(ByteString.copyFrom(Packages.bootstrap(name)))
                .setConfig(FunctionConfig.newBuilder().setRuntime("provided").setHandler("main")).build();
    }

    private interface Rpc<T> {
        T on(FunctionsGrpc.FunctionsBlockingStub functions);
    }

    /** What a call through a channel with {@code token} (none: null) returned, or how it failed. */
    private <T> CompletableFuture<T> call(ClusterToken token, Rpc<T> rpc) {
        ManagedChannel channel = channel(token);
        try {
            return CompletableFuture.completedFuture(rpc.on(FunctionsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)));
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
    }

    private static FloeException refused(CompletableFuture<?> call) {
        Throwable failure = assertThrows(java.util.concurrent.ExecutionException.class, call::get).getCause();
        assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(failure).getCode());
        FloeException refusal = FloeException.fromThrowable(failure);
        assertEquals("UnrecognizedClientException", refusal.type().wireName());
        return refusal;
    }

    private ManagedChannel channel(ClusterToken token) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", fx.controller.port()))
                .usePlaintext().eventLoopGroup(loops).channelType(EventLoops.channelType()).directExecutor();
        if (token != null) {
            ClientInterceptor attach = token.attach();
            builder.intercept(attach);
        }
        return builder.build();
    }
}
