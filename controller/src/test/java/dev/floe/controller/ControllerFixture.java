package dev.floe.controller;

import com.google.protobuf.ByteString;
import dev.floe.common.EventLoops;
import dev.floe.common.Lifecycles;
import dev.floe.controller.function.Packages;
import dev.floe.proto.CreateFunctionRequest;
import dev.floe.proto.FleetGrpc;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.FunctionsGrpc;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.Worker;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A controller on loopback with real Netty, a client channel to it, and the test workers a test
 * connects. Closing it closes all of them and checks that no thread of theirs is left.
 */
final class ControllerFixture implements AutoCloseable {
    static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(100);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(1500);

    final Controller controller;
    private final EventLoopGroup clientLoops;
    private final ManagedChannel client;
    private final List<TestWorker> workers = new CopyOnWriteArrayList<>();

    private ControllerFixture(Controller controller) {
        this.controller = controller;
        this.clientLoops = EventLoops.group("test-client", 1);
        this.client = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", controller.port()))
                .usePlaintext().eventLoopGroup(clientLoops).channelType(EventLoops.channelType()).directExecutor()
                .maxInboundMessageSize(64 * 1024 * 1024).intercept(controller.token().attach()).build();
    }

    static ControllerFixture start(Path dataDir) {
        return start(dataDir, b -> b);
    }

    static ControllerFixture start(Path dataDir, UnaryOperator<Controller.Builder> tweaks) {
        Controller.Builder builder = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(dataDir)
                .heartbeatInterval(HEARTBEAT_INTERVAL).heartbeatTimeout(HEARTBEAT_TIMEOUT);
        try {
            return new ControllerFixture(tweaks.apply(builder).build().start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    io.grpc.Channel channel() {
        return client;
    }

    FunctionsGrpc.FunctionsBlockingStub functions() {
        return FunctionsGrpc.newBlockingStub(client);
    }

    InvocationsGrpc.InvocationsBlockingStub invocations() {
        return InvocationsGrpc.newBlockingStub(client);
    }

    FleetGrpc.FleetBlockingStub fleet() {
        return FleetGrpc.newBlockingStub(client);
    }

    WorkerLinkGrpc.WorkerLinkBlockingStub link() {
        return WorkerLinkGrpc.newBlockingStub(client);
    }

    /** A test worker, not yet connected. */
    TestWorker newWorker(String id, int memoryMb) {
        TestWorker worker = new TestWorker(id, memoryMb, controller.port(), controller.token());
        workers.add(worker);
        return worker;
    }

    /** A test worker, connected and registered. */
    TestWorker worker(String id, int memoryMb) {
        return newWorker(id, memoryMb).connect();
    }

    Function create(String name, int memoryMb) {
        return functions().createFunction(CreateFunctionRequest.newBuilder().setName(name)
                .setCodeZip(ByteString.copyFrom(Packages.bootstrap(name)))
                .setConfig(FunctionConfig.newBuilder().setRuntime("provided").setHandler("main").setMemoryMb(memoryMb))
                .build());
    }

    /** Closes this controller and its workers, without looking for threads: other controllers of the test still run. */
    void closeWhileOthersRun() {
        workers.forEach(TestWorker::close);
        Lifecycles.shutdown(client, Duration.ofSeconds(5));
        Lifecycles.shutdown(clientLoops, Duration.ofSeconds(5));
        controller.close();
    }

    /** Waits until the fleet view shows exactly these workers. */
    void awaitWorkers(String... ids) {
        List<String> expected = List.of(ids);
        Await.until(Duration.ofSeconds(10), "workers " + expected, () -> fleet()
                .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList().stream()
                .map(Worker::getId).sorted().toList().equals(expected));
    }

    @Override
    public void close() {
        closeWhileOthersRun();
        Threads.assertNoneLeft("floe-controller-", "test-worker-", "test-client-", "grpc-");
    }
}
