package dev.floe.bench;

import com.google.protobuf.ByteString;
import dev.floe.common.EventLoops;
import dev.floe.common.Lifecycles;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The bare mechanisms Floe's figures are measured against: the same work without Floe's logic.
 * A bare worker is a gRPC server that hands each event to the same runtime process, started plainly
 * (no cgroups, namespaces, freezer, pool, logs or reports), through a Runtime API that does only
 * what the protocol needs; a bare relay forwards to it, as the controller forwards to a worker.
 */
final class Floors {
    private Floors() {}

    /**
     * A bare worker and relay serving one runtime, alive until closed, so the benchmark can alternate
     * between it and Floe and both see the same machine.
     */
    static final class Pipeline implements AutoCloseable {
        private final EventLoopGroup loops = EventLoops.group("floor", 0);
        private final BareRuntimeApi api;
        private final Channel apiServer;
        private final long[] startNanos;
        private Process runtime;
        /** The runtimes kept besides {@link #runtime}, serving events in parallel ({@link #Pipeline(Path, int, byte[], int)}). */
        private final java.util.List<Process> more = new java.util.ArrayList<>();
        private Path cgroup;
        private Server worker;
        private Server relay;
        private ManagedChannel toWorker;
        private ManagedChannel toRelay;
        private WorkerInvokerGrpc.WorkerInvokerBlockingStub direct;
        private InvocationsGrpc.InvocationsBlockingStub relayed;
        private final WorkerInvokeRequest directRequest;
        private final InvokeRequest relayRequest;

        /** Starts {@code bootstrap} plainly {@code starts} times, timing spawn to first {@code next}, and keeps the last. */
        Pipeline(Path bootstrap, int starts, byte[] event) throws Exception {
            this(bootstrap, starts, event, 1);
        }

        /**
         * As {@link #Pipeline(Path, int, byte[])}, keeping {@code runtimes} of them: each event goes to
         * whichever runtime asked for work first, so up to {@code runtimes} run at once.
         */
        Pipeline(Path bootstrap, int starts, byte[] event, int runtimes) throws Exception {
            EventLoop apiLoop = loops.next();
            api = new BareRuntimeApi(apiLoop);
            apiServer = new ServerBootstrap().group(apiLoop, apiLoop).channel(EventLoops.serverChannelType())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(7 * 1024 * 1024), api);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            directRequest = WorkerInvokeRequest.newBuilder().setPayload(ByteString.copyFrom(event)).build();
            relayRequest = InvokeRequest.newBuilder().setPayload(ByteString.copyFrom(event)).build();
            startNanos = new long[starts];
            try {
                int apiPort = ((InetSocketAddress) apiServer.localAddress()).getPort();
                for (int s = 0; s < starts; s++) {
                    CompletableFuture<Void> firstNext = api.firstNext();
                    long spawn = System.nanoTime();
                    Process process = start(bootstrap, apiPort);
                    firstNext.get(30, TimeUnit.SECONDS);
                    startNanos[s] = System.nanoTime() - spawn;
                    if (s < starts - 1) {
                        process.destroyForcibly().waitFor();
                    } else {
                        runtime = process;
                    }
                }
                for (int r = 1; r < runtimes; r++) {
                    CompletableFuture<Void> firstNext = api.firstNext();
                    more.add(start(bootstrap, apiPort));
                    firstNext.get(30, TimeUnit.SECONDS);
                }
                serve();
            } catch (Exception e) {
                close();
                throw e;
            }
        }

        private void serve() throws IOException {
            worker = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .bossEventLoopGroup(loops).workerEventLoopGroup(loops).channelType(EventLoops.serverChannelType())
                    .directExecutor()
                    .addService(new WorkerInvokerGrpc.WorkerInvokerImplBase() {
                        @Override
                        public void invoke(WorkerInvokeRequest request, StreamObserver<InvokeResponse> responses) {
                            api.submit(request.getPayload().toByteArray()).whenComplete((body, failure) -> {
                                if (failure != null) {
                                    responses.onError(failure);
                                    return;
                                }
                                responses.onNext(InvokeResponse.newBuilder().setPayload(ByteString.copyFrom(body)).build());
                                responses.onCompleted();
                            });
                        }
                    }).build().start();
            toWorker = channel(loops, worker.getPort());
            WorkerInvokerGrpc.WorkerInvokerFutureStub workerStub = WorkerInvokerGrpc.newFutureStub(toWorker);
            relay = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .bossEventLoopGroup(loops).workerEventLoopGroup(loops).channelType(EventLoops.serverChannelType())
                    .directExecutor()
                    .addService(new InvocationsGrpc.InvocationsImplBase() {
                        @Override
                        public void invoke(InvokeRequest request, StreamObserver<InvokeResponse> responses) {
                            var call = workerStub.invoke(WorkerInvokeRequest.newBuilder().setPayload(request.getPayload()).build());
                            call.addListener(() -> {
                                try {
                                    responses.onNext(call.get());
                                    responses.onCompleted();
                                } catch (Exception e) {
                                    responses.onError(e);
                                }
                            }, Runnable::run);
                        }
                    }).build().start();
            toRelay = channel(loops, relay.getPort());
            direct = WorkerInvokerGrpc.newBlockingStub(toWorker);
            relayed = InvocationsGrpc.newBlockingStub(toRelay);
        }

        long[] startNanos() {
            return startNanos;
        }

        /** The runtimes' process ids. */
        java.util.List<Long> runtimePids() {
            java.util.List<Long> pids = new java.util.ArrayList<>();
            if (runtime != null) {
                pids.add(runtime.pid());
            }
            more.forEach(p -> pids.add(p.pid()));
            return pids;
        }

        /** The relay's port: its {@code Invocations} service takes any function name and token. */
        int relayPort() {
            return relay.getPort();
        }

        /** One invocation straight to the bare worker. */
        void invokeDirect() {
            direct.invoke(directRequest);
        }

        /** One invocation through the relay, as through a controller. */
        void invokeRelayed() {
            relayed.invoke(relayRequest);
        }

        /** Puts the runtime in a cgroup v2 of its own, so it can be frozen like an environment; false if impossible here. */
        boolean freezable() throws IOException {
            Path unified = unifiedRoot();
            if (unified == null) {
                return false;
            }
            cgroup = unified.resolve("floe-floor-runtime-" + ProcessHandle.current().pid());
            Files.createDirectory(cgroup);
            Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(runtime.pid()));
            return true;
        }

        /** Freezes the runtime by writing cgroup.freeze and polling cgroup.events, as the bare mechanism does. */
        void freeze() throws IOException {
            Files.write(cgroup.resolve("cgroup.freeze"), "1".getBytes(), java.nio.file.StandardOpenOption.WRITE);
            while (!Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 1")) {
                Thread.onSpinWait();
            }
        }

        /** Thaws the runtime, then invokes it through the relay. */
        void thawAndInvokeRelayed() throws IOException {
            Files.write(cgroup.resolve("cgroup.freeze"), "0".getBytes(), java.nio.file.StandardOpenOption.WRITE);
            relayed.invoke(relayRequest);
        }

        @Override
        public void close() throws IOException {
            try {
                stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stopping the floor", e);
            }
        }

        private void stop() throws IOException, InterruptedException {
            if (runtime != null) {
                if (cgroup != null) {
                    Files.write(cgroup.resolve("cgroup.freeze"), "0".getBytes(), java.nio.file.StandardOpenOption.WRITE);
                }
                runtime.destroyForcibly().waitFor();
            }
            for (Process p : more) {
                p.destroyForcibly().waitFor();
            }
            if (cgroup != null) {
                for (int i = 0; i < 100 && Files.exists(cgroup); i++) {
                    try {
                        Files.delete(cgroup);
                    } catch (IOException busy) {
                        Thread.sleep(10);
                    }
                }
            }
            Lifecycles.shutdown(toRelay, Duration.ofSeconds(2));
            Lifecycles.shutdown(relay, Duration.ofSeconds(2));
            Lifecycles.shutdown(toWorker, Duration.ofSeconds(2));
            Lifecycles.shutdown(worker, Duration.ofSeconds(2));
            apiServer.close().sync();
            Lifecycles.shutdown(loops, Duration.ofSeconds(2));
        }
    }

    private static Process start(Path bootstrap, int apiPort) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(bootstrap.toString()).directory(bootstrap.getParent().toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().putAll(Map.of("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + apiPort,
                "PATH", "/usr/local/bin:/usr/bin/:/bin", "LANG", "en_US.UTF-8"));
        return builder.start();
    }

    private static ManagedChannel channel(EventLoopGroup loops, int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).eventLoopGroup(loops)
                .channelType(EventLoops.channelType()).usePlaintext().directExecutor().build();
    }

    /**
     * The least a Runtime API can do: park each runtime's {@code next}, hand the oldest waiting event to
     * the runtime that asked first, complete that event with the response the runtime posts on the same
     * connection (each runtime keeps one). Confined to one event loop.
     */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class BareRuntimeApi extends SimpleChannelInboundHandler<FullHttpRequest> {
        private static final io.netty.util.AttributeKey<Pending> RUNNING = io.netty.util.AttributeKey.valueOf("floor-running");
        private final EventLoop loop;
        private final Deque<Pending> waiting = new ArrayDeque<>();
        private final Deque<ChannelHandlerContext> parked = new ArrayDeque<>();
        private CompletableFuture<Void> firstNext = new CompletableFuture<>();

        private record Pending(byte[] event, CompletableFuture<byte[]> response) {}

        BareRuntimeApi(EventLoop loop) {
            this.loop = loop;
        }

        CompletableFuture<Void> firstNext() {
            CompletableFuture<Void> next = new CompletableFuture<>();
            loop.execute(() -> firstNext = next);
            return next;
        }

        CompletableFuture<byte[]> submit(byte[] event) {
            Pending pending = new Pending(event, new CompletableFuture<>());
            loop.execute(() -> {
                waiting.addLast(pending);
                dispatch();
            });
            return pending.response();
        }

        private void dispatch() {
            while (!parked.isEmpty() && !waiting.isEmpty()) {
                ChannelHandlerContext ctx = parked.pollFirst();
                Pending running = waiting.pollFirst();
                ctx.channel().attr(RUNNING).set(running);
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(running.event()));
                // Every header Lambda sends: the runtime interface clients read them all (the Java one's native
                // part crashes on a next without a Content-Type).
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .set("Lambda-Runtime-Aws-Request-Id", "floor")
                        .set("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 60_000))
                        .set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:floor")
                        .set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, running.event().length);
                ctx.writeAndFlush(response);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.uri().endsWith("/invocation/next")) {
                parked.addLast(ctx);
                firstNext.complete(null);
                dispatch();
                return;
            }
            byte[] ok = "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8);
            FullHttpResponse accepted = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED,
                    Unpooled.wrappedBuffer(ok));
            accepted.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ok.length);
            ctx.writeAndFlush(accepted);
            Pending done = ctx.channel().attr(RUNNING).getAndSet(null);
            if (done == null) {
                return;
            }
            byte[] body = ByteBufUtil.getBytes(request.content());
            if (request.uri().endsWith("/error")) {
                // A floor that measured errors would measure nothing: the benchmark stops instead.
                done.response().completeExceptionally(new IllegalStateException("the runtime under the floor reported "
                        + request.uri() + ": " + new String(body, StandardCharsets.UTF_8)));
            } else {
                done.response().complete(body);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            parked.remove(ctx);
            ctx.fireChannelInactive();
        }
    }

    private static Path unifiedRoot() {
        for (Path candidate : new Path[] {Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup")}) {
            if (Files.exists(candidate.resolve("cgroup.procs")) && !Files.exists(candidate.resolve("tasks"))) {
                return candidate;
            }
        }
        return null;
    }

    /** Freezing a cgroup v2 holding one sleeping process by writing its files directly: write, then poll until frozen. */
    static long[][] cgroup2Freeze(int rounds) throws Exception {
        Path unified = unifiedRoot();
        Path cgroup = unified.resolve("floe-floor-" + ProcessHandle.current().pid());
        Files.createDirectory(cgroup);
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
            long[] freeze = new long[rounds];
            long[] thaw = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                long start = System.nanoTime();
                Files.write(cgroup.resolve("cgroup.freeze"), "1".getBytes(), java.nio.file.StandardOpenOption.WRITE);
                while (!Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 1")) {
                    Thread.onSpinWait();
                }
                freeze[i] = System.nanoTime() - start;
                start = System.nanoTime();
                Files.write(cgroup.resolve("cgroup.freeze"), "0".getBytes(), java.nio.file.StandardOpenOption.WRITE);
                thaw[i] = System.nanoTime() - start;
            }
            return new long[][] {freeze, thaw};
        } finally {
            sleeper.destroyForcibly().waitFor();
            for (int i = 0; i < 100 && Files.exists(cgroup); i++) {
                try {
                    Files.delete(cgroup);
                } catch (IOException busy) {
                    Thread.sleep(10);
                }
            }
        }
    }
}
