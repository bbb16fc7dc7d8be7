package dev.floe.controller;

import dev.floe.common.ErrorType;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.FloeException;
import dev.floe.common.Lifecycles;
import dev.floe.proto.ControllerCommand;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import dev.floe.proto.Heartbeat;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.Registration;
import dev.floe.proto.RetireFunction;
import dev.floe.proto.Sandbox;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.proto.WorkerReport;
import dev.floe.testing.Await;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small but real worker for tests: it connects to the controller over {@code WorkerLink}, registers,
 * sends heartbeats at the interval the controller asks for, and serves {@code WorkerInvoker} on its own
 * Netty server. It answers invocations itself by echoing the payload from a pretend environment,
 * reporting it BUSY then IDLE as a real worker does; told to be full, it refuses with
 * {@code WorkerFullException}. It retires environments when the controller says so.
 */
final class TestWorker implements AutoCloseable {
    static final Sandbox SANDBOX = Sandbox.newBuilder().setFreezer("signal").setMemoryLimit("none").setTmp("tmpdir").build();

    final String id;
    final int memoryMb;
    final List<WorkerInvokeRequest> invocations = new CopyOnWriteArrayList<>();
    /** Time left on each invocation's deadline when it arrived, in ms. */
    final List<Long> deadlinesMs = new CopyOnWriteArrayList<>();
    final List<ControllerCommand> commands = new CopyOnWriteArrayList<>();
    final AtomicInteger refusals = new AtomicInteger();
    private final EventLoopGroup loops;
    private final Server server;
    private final ManagedChannel channel;
    private final Map<String, Environment> environments = new LinkedHashMap<>();
    private final AtomicInteger nextEnvironment = new AtomicInteger();
    private volatile Link current;
    private volatile boolean full;
    /** Payloads containing this get a function error back, as from a function that throws. */
    private volatile String failOn;
    /** Payloads containing this are never answered, as by a worker that hangs or was cut off. */
    private volatile String holdOn;
    private volatile boolean sendHeartbeats = true;

    TestWorker(String id, int memoryMb, int controllerPort, ClusterToken token) {
        this.id = id;
        this.memoryMb = memoryMb;
        this.loops = EventLoops.group("test-worker-" + id, 1);
        try {
            this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .bossEventLoopGroup(loops).workerEventLoopGroup(loops).channelType(EventLoops.serverChannelType())
                    .directExecutor()
                    // A 6 MB payload plus the function: gRPC's default 4 MB is too small.
                    .maxInboundMessageSize(16 * 1024 * 1024)
                    .addService(new Invoker())
                    .intercept(token.check())
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.channel = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", controllerPort))
                .usePlaintext().eventLoopGroup(loops).channelType(EventLoops.channelType()).directExecutor()
                .intercept(token.attach()).build();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Opens the link and registers, sending whatever environments it holds; returns once registered. */
    TestWorker connect() {
        openLink();
        List<Environment> held;
        synchronized (this) {
            held = new ArrayList<>(environments.values());
        }
        send(WorkerReport.newBuilder().setRegistration(Registration.newBuilder().setWorkerId(id).setAddress(address())
                .setMemoryMb(memoryMb).setSandbox(SANDBOX).addAllEnvironments(held)).build());
        Link link = current;
        Await.until(Duration.ofSeconds(10), "worker " + id + " registered", () -> link.registered);
        return this;
    }

    /** Opens the link and sends {@code first} as its first report; for tests of what the controller refuses. */
    void openLinkAndSend(WorkerReport first) {
        openLink();
        send(first);
    }

    private synchronized void openLink() {
        Link link = new Link();
        link.out = WorkerLinkGrpc.newStub(channel).connect(link);
        current = link;
    }

    /** One {@code Connect} stream; the callbacks of an old one never touch a newer one. */
    private final class Link implements StreamObserver<ControllerCommand> {
        StreamObserver<WorkerReport> out;
        ScheduledFuture<?> heartbeats;
        volatile boolean registered;
        volatile Status ended;

        @Override
        public void onNext(ControllerCommand command) {
            commands.add(command);
            switch (command.getCommandCase()) {
                case REGISTERED -> startHeartbeats(this, command.getRegistered().getHeartbeatIntervalMs());
                case RETIRE_FUNCTION -> retire(command.getRetireFunction());
                default -> { }
            }
        }

        @Override
        public void onError(Throwable t) {
            ended = Status.fromThrowable(t);
            stopHeartbeats(this);
        }

        @Override
        public void onCompleted() {
            ended = Status.OK;
            stopHeartbeats(this);
        }

        synchronized void send(WorkerReport report) {
            if (ended == null) {
                out.onNext(report);
            }
        }
    }

    private void startHeartbeats(Link link, int intervalMs) {
        synchronized (link) {
            link.registered = true;
            link.heartbeats = loops.next().scheduleAtFixedRate(() -> {
                if (sendHeartbeats) {
                    link.send(WorkerReport.newBuilder().setHeartbeat(Heartbeat.newBuilder().setMemoryUsedMb(usedMb())).build());
                }
            }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        }
    }

    private static void stopHeartbeats(Link link) {
        synchronized (link) {
            if (link.heartbeats != null) {
                link.heartbeats.cancel(false);
            }
        }
    }

    /** The status the controller ended the current link with; null while it is open. */
    Status linkEnded() {
        return current.ended;
    }

    void failOn(String marker) {
        failOn = marker;
    }

    void holdOn(String marker) {
        holdOn = marker;
    }

    void full(boolean value) {
        full = value;
    }

    /** Stops sending heartbeats, as a worker whose process hangs would. */
    void fallSilent() {
        sendHeartbeats = false;
    }

    /** Stops the WorkerInvoker server but keeps the link: calls to it fail as UNAVAILABLE. */
    void stopServing() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the link as a worker shutting down does. */
    synchronized void disconnect() {
        Link link = current;
        stopHeartbeats(link);
        synchronized (link) {
            link.ended = Status.OK;
            link.out.onCompleted();
        }
    }

    /** Reports an environment's new state and keeps it as this worker's own. */
    synchronized void report(Environment env) {
        Environment own = env.toBuilder().setWorkerId(id).build();
        if (own.getState() == Environment.State.RETIRED) {
            environments.remove(own.getId());
        } else {
            environments.put(own.getId(), own);
        }
        send(WorkerReport.newBuilder().setEnvironment(own).build());
    }

    synchronized List<Environment> environments() {
        return List.copyOf(environments.values());
    }

    List<RetireFunction> retireCommands() {
        return commands.stream().filter(ControllerCommand::hasRetireFunction).map(ControllerCommand::getRetireFunction).toList();
    }

    private synchronized int usedMb() {
        return environments.values().stream().mapToInt(Environment::getMemoryMb).sum();
    }

    private void send(WorkerReport report) {
        Link link = current;
        if (link != null) {
            link.send(report);
        }
    }

    private synchronized void retire(RetireFunction retire) {
        for (Environment env : List.copyOf(environments.values())) {
            boolean kept = env.getRevisionId().equals(retire.getKeepRevisionId()) || retire.getKeepRevisionIdsList().contains(env.getRevisionId());
            if (env.getFunction().equals(retire.getFunction()) && !kept) {
                report(env.toBuilder().setState(Environment.State.RETIRED).setRetireReason("revision").build());
            }
        }
    }

    /** Takes an idle environment of the revision, or starts one; returns it BUSY. */
    private synchronized Environment take(Function function, boolean[] cold) {
        for (Environment env : environments.values()) {
            boolean warm = env.getState() == Environment.State.IDLE || env.getState() == Environment.State.FROZEN;
            if (warm && env.getRevisionId().equals(function.getRevisionId())) {
                Environment busy = env.toBuilder().setState(Environment.State.BUSY).setInvocations(env.getInvocations() + 1).build();
                report(busy);
                return busy;
            }
        }
        cold[0] = true;
        Environment started = Environment.newBuilder().setId(id + "-env-" + nextEnvironment.incrementAndGet())
                .setFunction(function.getName()).setRevision(function.getRevision()).setRevisionId(function.getRevisionId())
                .setMemoryMb(function.getConfig().getMemoryMb()).setState(Environment.State.STARTING).build();
        report(started);
        Environment busy = started.toBuilder().setState(Environment.State.BUSY).setInvocations(1).build();
        report(busy);
        return busy;
    }

    private final class Invoker extends WorkerInvokerGrpc.WorkerInvokerImplBase {
        @Override
        public void invoke(WorkerInvokeRequest request, StreamObserver<InvokeResponse> responses) {
            invocations.add(request);
            Deadline deadline = Context.current().getDeadline();
            deadlinesMs.add(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
            if (full) {
                refusals.incrementAndGet();
                responses.onError(new FloeException(ErrorType.WORKER_FULL, "worker " + id + " is full").toStatus());
                return;
            }
            String payload = request.getPayload().toStringUtf8();
            if (holdOn != null && payload.contains(holdOn)) {
                return;
            }
            boolean[] cold = new boolean[1];
            Environment env = take(request.getFunction(), cold);
            if (failOn != null && payload.contains(failOn)) {
                report(env.toBuilder().setState(Environment.State.IDLE).build());
                responses.onNext(InvokeResponse.newBuilder().setRequestId(request.getRequestId()).setFunctionError("Unhandled")
                        .setErrorType("Function.Test").setPayload(com.google.protobuf.ByteString.copyFromUtf8("{\"errorMessage\":\"failed on purpose\"}"))
                        .setEnvironmentId(env.getId()).setMemorySizeMb(env.getMemoryMb()).build());
                responses.onCompleted();
                return;
            }
            report(env.toBuilder().setState(Environment.State.IDLE).build());
            // Like a worker that leaves these to the controller: it must fill in worker, function and revision.
            responses.onNext(InvokeResponse.newBuilder()
                    .setRequestId(request.getRequestId())
                    .setPayload(request.getPayload())
                    .setCold(cold[0])
                    .setEnvironmentId(env.getId())
                    .setMemorySizeMb(env.getMemoryMb())
                    .build());
            responses.onCompleted();
        }
    }

    @Override
    public void close() {
        Link link = current;
        if (link != null) {
            stopHeartbeats(link);
            synchronized (link) {
                if (link.ended == null) {
                    link.ended = Status.OK;
                    link.out.onCompleted();
                }
            }
        }
        Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        Lifecycles.shutdown(server, Duration.ofSeconds(5));
        Lifecycles.shutdown(loops, Duration.ofSeconds(5));
    }
}
