package dev.floe.worker.link;

import dev.floe.common.FloeException;
import dev.floe.proto.ControllerCommand;
import dev.floe.proto.Heartbeat;
import dev.floe.proto.Registration;
import dev.floe.proto.Sandbox;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.proto.WorkerReport;
import dev.floe.worker.environment.EnvironmentPool;
import dev.floe.worker.environment.EnvironmentView;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The worker's stream to the controller. States: DISCONNECTED (waiting to retry), REGISTERING
 * (snapshot being taken; reports are queued so none is lost between the snapshot and the stream),
 * CONNECTED (reports go straight out). Every send goes through one lock: a gRPC stream takes one
 * writer at a time.
 */
public final class ControllerLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControllerLink.class.getName());
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 5_000;

    private enum State { DISCONNECTED, REGISTERING, CONNECTED, CLOSED }

    private final WorkerLinkGrpc.WorkerLinkStub stub;
    private final EventLoop timer;
    private final String workerId;
    private final String address;
    private final int memoryMb;
    private final Sandbox sandbox;
    private final EnvironmentPool pool;
    private final Supplier<Integer> memoryUsedMb;
    /** This run of the worker, so the controller tells a reconnection from another worker with the same id. */
    private final String instance = java.util.UUID.randomUUID().toString();

    private final Object lock = new Object();
    private State state = State.DISCONNECTED;
    private ClientCallStreamObserver<WorkerReport> stream;
    private final List<WorkerReport> queued = new ArrayList<>();
    private ScheduledFuture<?> heartbeat;
    private long backoffMs = MIN_BACKOFF_MS;
    private volatile boolean everConnected;

    public ControllerLink(Channel controller, EventLoop timer, String workerId, String address, int memoryMb,
                          Sandbox sandbox, EnvironmentPool pool, Supplier<Integer> memoryUsedMb) {
        this.stub = WorkerLinkGrpc.newStub(controller);
        this.timer = timer;
        this.workerId = workerId;
        this.address = address;
        this.memoryMb = memoryMb;
        this.sandbox = sandbox;
        this.pool = pool;
        this.memoryUsedMb = memoryUsedMb;
    }

    public void start() {
        timer.execute(this::connect);
    }

    /** True while registered with the controller. */
    public boolean connected() {
        synchronized (lock) {
            return state == State.CONNECTED;
        }
    }

    /** Whether the link has registered at least once. */
    public boolean everConnected() {
        return everConnected;
    }

    /** Reports an environment's new state; called on the environment's loop. */
    public void report(EnvironmentView view) {
        send(WorkerReport.newBuilder().setEnvironment(view.toProto(workerId)).build());
    }

    private void send(WorkerReport report) {
        synchronized (lock) {
            switch (state) {
                case CONNECTED -> stream.onNext(report);
                case REGISTERING -> queued.add(report);
                default -> { }
            }
        }
    }

    private void connect() {
        synchronized (lock) {
            if (state != State.DISCONNECTED) {
                return;
            }
            state = State.REGISTERING;
            queued.clear();
        }
        // Taken outside the lock: environments report from their loops while the snapshot waits on them.
        List<dev.floe.proto.Environment> snapshot = pool.views().stream().map(v -> v.toProto(workerId)).toList();
        ClientResponseObserver<WorkerReport, ControllerCommand> observer = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WorkerReport> requestStream) {
                synchronized (lock) {
                    stream = requestStream;
                }
            }

            @Override
            public void onNext(ControllerCommand command) {
                handle(command);
            }

            @Override
            public void onError(Throwable t) {
                Metadata trailers = Status.trailersFromThrowable(t);
                if (trailers != null && trailers.containsKey(FloeException.ERROR_TYPE_KEY)) {
                    // Not a lost connection but a refusal (a wrong token, a worker id in use): the operator must act.
                    FloeException refusal = FloeException.fromThrowable(t);
                    lost("the controller refused this worker, " + refusal.type().wireName() + ": " + refusal.getMessage(),
                            System.Logger.Level.ERROR);
                } else if (handshake(t) != null) {
                    // A TLS setup mistake does not heal by retrying: say so, not at debug level.
                    lost("the TLS handshake failed: " + handshake(t).getMessage() + " (expected: this worker's certificate and the"
                            + " controller's both signed by the cluster's CA, the controller's naming the address dialled and with role"
                            + " controller)",
                            System.Logger.Level.ERROR);
                } else {
                    lost("the stream failed: " + t.getMessage(), null);
                }
            }

            @Override
            public void onCompleted() {
                lost("the controller ended the stream", null);
            }
        };
        ClientCallStreamObserver<WorkerReport> requests = (ClientCallStreamObserver<WorkerReport>) stub.connect(observer);
        synchronized (lock) {
            if (state != State.REGISTERING) {
                requests.cancel("closing", null);
                return;
            }
            requests.onNext(WorkerReport.newBuilder().setRegistration(Registration.newBuilder()
                    .setWorkerId(workerId).setInstance(instance).setAddress(address).setMemoryMb(memoryMb).setSandbox(sandbox)
                    .addAllEnvironments(snapshot)).build());
            queued.forEach(requests::onNext);
            queued.clear();
            state = State.CONNECTED;
        }
    }

    private static javax.net.ssl.SSLException handshake(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    private void handle(ControllerCommand command) {
        switch (command.getCommandCase()) {
            case REGISTERED -> {
                everConnected = true;
                backoffMs = MIN_BACKOFF_MS;
                long interval = Math.max(50, command.getRegistered().getHeartbeatIntervalMs());
                LOG.log(System.Logger.Level.INFO, "worker " + workerId + " registered with the controller");
                synchronized (lock) {
                    if (heartbeat != null) {
                        heartbeat.cancel(false);
                    }
                    heartbeat = timer.scheduleAtFixedRate(this::beat, interval, interval, TimeUnit.MILLISECONDS);
                }
            }
            case RETIRE_FUNCTION -> {
                // keep_revision_id alone comes from a controller of an older Floe.
                java.util.Set<String> keep = new java.util.HashSet<>(command.getRetireFunction().getKeepRevisionIdsList());
                if (!command.getRetireFunction().getKeepRevisionId().isEmpty()) {
                    keep.add(command.getRetireFunction().getKeepRevisionId());
                }
                pool.retireFunction(command.getRetireFunction().getFunction(), keep);
            }
            default -> LOG.log(System.Logger.Level.WARNING, "unknown command from the controller: " + command.getCommandCase());
        }
    }

    private void beat() {
        send(WorkerReport.newBuilder().setHeartbeat(Heartbeat.newBuilder().setMemoryUsedMb(memoryUsedMb.get())).build());
    }

    /** Reconnects after a backoff; {@code level} null: a warning once connected before, else debug. */
    private void lost(String why, System.Logger.Level level) {
        long delay;
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.DISCONNECTED;
            stream = null;
            if (heartbeat != null) {
                heartbeat.cancel(false);
                heartbeat = null;
            }
            delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        LOG.log(level != null ? level : everConnected ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                "worker " + workerId + " lost the controller (" + why + "); retrying in " + delay + " ms");
        if (!timer.isShuttingDown()) {
            timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Ends the stream; the controller removes this worker from its view at once. */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == State.CONNECTED && stream != null) {
                stream.onCompleted();
            } else if (stream != null) {
                stream.cancel("worker closing", null);
            }
            state = State.CLOSED;
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
        }
    }

    static Duration maxBackoff() {
        return Duration.ofMillis(MAX_BACKOFF_MS);
    }
}
