package dev.floe.controller;

import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.metrics.Health;
import dev.floe.common.metrics.MeterExport;
import dev.floe.common.metrics.MetricsServer;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.async.AsyncQueue;
import dev.floe.controller.async.RetryPolicy;
import dev.floe.controller.cluster.ControllerCluster;
import dev.floe.controller.cluster.ControllersGrpcService;
import dev.floe.controller.cluster.OwnerForwarding;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.function.ConcurrencyChange;
import dev.floe.controller.gateway.GrpcWorkerGateway;
import dev.floe.controller.grpc.FleetGrpcService;
import dev.floe.controller.grpc.FunctionsGrpcService;
import dev.floe.controller.grpc.InvocationsGrpcService;
import dev.floe.controller.grpc.ServingHealth;
import dev.floe.controller.grpc.WorkerCertificateCheck;
import dev.floe.controller.grpc.WorkerIdentity;
import dev.floe.controller.grpc.WorkerLinkGrpcService;
import dev.floe.controller.invoke.Admission;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.InvokeMetrics;
import dev.floe.controller.invoke.Invoker;
import dev.floe.controller.lambdaapi.AsyncInvocations;
import dev.floe.controller.lambdaapi.ConnectionLimits;
import dev.floe.controller.lambdaapi.FleetConcurrency;
import dev.floe.controller.lambdaapi.LambdaApi;
import dev.floe.controller.lambdaapi.LambdaApiServer;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.controller.lambdaapi.QueuedInvocations;
import dev.floe.controller.placement.FloeDefaultPlacement;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.provision.Provisioner;
import dev.floe.controller.registry.FleetView;
import dev.floe.controller.registry.RoomSignal;
import dev.floe.controller.web.WebView;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.Function;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The controller: serves {@code Functions}, {@code Invocations}, {@code Fleet} and the internal
 * {@code WorkerLink} on one Netty gRPC server, keeps functions in {@code <dataDir>}, and places every
 * invocation on a connected worker. Beside it, on its own port, it serves Lambda's HTTP API
 * ({@link LambdaApiServer}) for the AWS SDKs and CLI, and, when given an address, its meters for
 * Prometheus ({@link MetricsServer}).
 *
 * <p>Its threads: one group of Netty event loops ({@code floe-controller-io-N}) shared by the server,
 * the channels to workers and the heartbeat sweep; and virtual threads ({@code floe-controller-rpc-N})
 * that run call handlers and callbacks, since a handler may write a 50 MB code package to disk.
 * {@link #close()} stops all of them.
 */
public final class Controller implements AutoCloseable {
    /** How long a new connection may take to speak HTTP/2; strangers holding half-open ones are cut off. */
    static final long HANDSHAKE_TIMEOUT_S = 10;
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());
    /** Code uploads are up to 50 MB, and a message carries them whole. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** The HTTP/2 receive window of each worker channel (grpc's initial 1 MB); see {@link #openWorkerChannel}. */
    static final int WORKER_WINDOW_BYTES = 1024 * 1024;
    /** How long close() lets calls in flight finish before cutting them off. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);
    /** Where a controller built without Lambda API keys keeps the ones it makes, in its data directory. */
    public static final String LAMBDA_CREDENTIALS_FILE = "lambda-credentials";
    /** The read-only token that opens the web view, in the data directory; made on first start with a web view. */
    public static final String WEB_TOKEN_FILE = "web-token";

    private final int requestedPort;
    private final String bindHost;
    private final Path dataDir;
    private final Duration heartbeatTimeout;
    private final Placement placement;
    private final Duration heartbeatInterval;
    private final MeterRegistry meters;
    private final InstantSource clock;
    private final ClusterToken givenToken;
    private final Admission.Limits admissionLimits;
    private final RetryPolicy asyncPolicy;
    private final int requestedLambdaPort;
    /** Null until started when built without keys: then the ones kept in {@code <dataDir>/lambda-credentials}. */
    private volatile LambdaCredentials lambdaCredentials;
    private final ConnectionLimits lambdaConnections;
    private final HostPort requestedMetrics;
    private final HostPort requestedWeb;
    private WebView webView;
    private volatile ClusterToken webToken;
    /** Null without a metrics address. */
    private final MeterExport export;
    /** Null: plaintext. */
    private final ClusterTls tls;
    /** Null: a single controller on SQLite. */
    private final java.util.List<java.net.URI> etcd;
    private final String etcdPrefix;
    private final Duration lease;
    private final String memberId;
    private final String advertiseHost;

    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closed;
    private EventLoopGroup loops;
    private ExecutorService handlers;
    private FunctionCatalog catalog;
    private FleetView fleet;
    private GrpcWorkerGateway workers;
    private volatile AsyncQueue async;
    private volatile Invoker invoker;
    private Server server;
    private AsyncInvocations asyncInvocations;
    private LambdaApiServer lambdaServer;
    private MetricsServer metricsServer;
    /** True from the gRPC server's start to the beginning of the shutdown: what /healthz reports. */
    private volatile boolean serving;
    private ScheduledFuture<?> sweep;
    private ScheduledFuture<?> provisioning;
    private volatile ClusterToken token;
    private ServingHealth health;
    private final List<ScheduledFuture<?>> asyncDepth = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static final int ASYNC_DEPTH_EVERY_S = 2;
    private ControllerCluster cluster;

    private Controller(Builder b) {
        this.requestedPort = b.port;
        this.bindHost = b.bindHost;
        this.dataDir = b.dataDir;
        this.heartbeatTimeout = b.heartbeatTimeout;
        this.placement = b.placement;
        this.heartbeatInterval = b.heartbeatInterval;
        this.requestedMetrics = b.metrics;
        this.requestedWeb = b.web;
        this.export = b.metrics != null ? MeterExport.create(b.meterRegistry) : null;
        this.meters = export != null ? export.registry() : b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
        this.clock = b.clock;
        this.givenToken = b.token;
        this.admissionLimits = b.admission;
        this.asyncPolicy = b.asyncPolicy;
        this.requestedLambdaPort = b.lambdaPort >= 0 ? b.lambdaPort : (b.port == 0 ? 0 : b.port + 1);
        this.lambdaCredentials = b.lambdaCredentials;
        this.lambdaConnections = b.lambdaConnections;
        this.tls = b.tls;
        this.etcd = b.etcd;
        this.etcdPrefix = b.etcdPrefix;
        this.lease = b.lease;
        this.memberId = b.memberId;
        this.advertiseHost = b.advertiseHost;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens the function store and binds the gRPC server; the controller then serves until closed. */
    public Controller start() throws IOException {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("controller: " + (closed ? "closed" : "started") + " (expected: a controller built and not yet started)");
            }
            started = true;
            try {
                loops = EventLoops.group("floe-controller-io", 0);
                handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("floe-controller-rpc-", 0).factory());
                fleet = new FleetView(clock, heartbeatTimeout);
                FleetView view = fleet;
                workers = new GrpcWorkerGateway(this::openWorkerChannel);
                GrpcWorkerGateway gateway = workers;
                fleet.subscribe(workers);
                Admission admission = new Admission(admissionLimits, loops);
                if (etcd != null) {
                    cluster = ControllerCluster.connect(etcd, etcdPrefix, lease, memberId);
                }
                FunctionCatalog.Listener superseded = (function, keepRevisionIds) -> {
                    gateway.retire(function, keepRevisionIds);
                    if (keepRevisionIds.isEmpty()) {
                        admission.forget(function);
                        AsyncQueue queue = async;
                        if (queue != null) {
                            queue.functionDeleted(function);
                        }
                    }
                };
                catalog = cluster == null ? FunctionCatalog.open(dataDir, clock, superseded)
                        : FunctionCatalog.open(dataDir, cluster.functionStore(), clock, superseded);
                catalog.shared(cluster != null);
                catalog.list().forEach(f -> admission.reserve(f.getName(), f.getConcurrency()));
                fleet.subscribe(new RoomSignal(admission::roomChanged));
                Provisioner provisioner = new Provisioner(catalog, fleet, workers);
                java.util.function.Consumer<Function> concurrencyChanged = f -> {
                    provisioner.settingsChanged(f.getRevisionId());
                    handlers.execute(provisioner::reconcile);
                };
                FunctionCatalog settable = catalog;
                FleetConcurrency fleetConcurrency = new FleetConcurrency() {
                    @Override
                    public Function change(String function, ConcurrencyChange change) {
                        Function changed = settable.setConcurrency(function, change, (name, settings) -> {
                            admission.checkReservation(name, settings);
                            admission.reserve(name, settings);
                        });
                        concurrencyChanged.accept(changed);
                        return changed;
                    }

                    @Override
                    public int limit() {
                        return admission.limits().concurrency();
                    }

                    @Override
                    public int unreserved() {
                        return admission.unreserved();
                    }
                };
                token = cluster != null ? cluster.token(givenToken)
                        : givenToken != null ? givenToken : ClusterToken.readOrCreate(dataDir.resolve("token"));
                if (lambdaCredentials == null) {
                    lambdaCredentials = LambdaCredentials.readOrCreate(dataDir.resolve(LAMBDA_CREDENTIALS_FILE));
                }
                InvokeMetrics invokeMetrics = new InvokeMetrics(meters);
                WebView.FleetBoardFeed board = null;
                if (requestedWeb != null) {
                    board = new WebView.FleetBoardFeed(clock);
                    fleet.subscribe(board.fleet(), true);
                    invokeMetrics.listen(board.invocations());
                    webToken = ClusterToken.readOrCreate(dataDir.resolve(WEB_TOKEN_FILE));
                }
                invoker = new Invoker(catalog, fleet, placement, workers, invokeMetrics, admission);
                FunctionCatalog functions = catalog;
                Invoker run = invoker;
                AsyncQueue.Builder queue = AsyncQueue.builder();
                if (cluster != null) {
                    queue.store(cluster.asyncStore());
                } else {
                    queue.database(dataDir.resolve("floe.db"));
                }
                async = queue
                        .functionCheck(functions::resolve)
                        .runner((function, qualifier, payload) -> run.invoke(new InvokeCall(function, payload, false, "", null, qualifier)))
                        .policy(asyncPolicy)
                        // A function's event invoke config (Lambda API) overrides the retries and maximum age.
                        .policies((function, qualifier, base) -> {
                            var config = functions.settings(function).getEventInvokeMap()
                                    .get(qualifier.isEmpty() ? dev.floe.controller.function.Qualifier.LATEST_NAME : qualifier);
                            return config == null ? base : base.with(
                                    config.hasMaximumRetryAttempts() ? java.util.OptionalInt.of(config.getMaximumRetryAttempts())
                                            : java.util.OptionalInt.empty(),
                                    config.hasMaximumEventAgeSeconds() ? Optional.of(Duration.ofSeconds(config.getMaximumEventAgeSeconds()))
                                            : Optional.empty());
                        })
                        .clock(clock)
                        .canRun(() -> view.size() > 0)
                        .meters(meters)
                        .build()
                        .start();
                Gauge.builder("floe.controller.workers", view, FleetView::size)
                        .description("Workers connected to the controller").register(meters);
                Gauge.builder("floe.controller.queued", admission, Admission::waiting)
                        .description("Invocations waiting for a concurrency slot or for room in the fleet").register(meters);
                AsyncQueue counted = async;
                for (AsyncInvocation.Status status : List.of(AsyncInvocation.Status.QUEUED, AsyncInvocation.Status.RUNNING)) {
                    // Counted in the store off the event loop, every few seconds: a scrape must not wait on the database.
                    AtomicLong depth = new AtomicLong();
                    Gauge.builder("floe.async.invocations", depth, AtomicLong::get).tag("status", status.name().toLowerCase(java.util.Locale.ROOT))
                            .description("Asynchronous invocations waiting to run (queued) or running").register(meters);
                    ExecutorService counting = handlers;
                    asyncDepth.add(loops.next().scheduleWithFixedDelay(() -> {
                        try {
                            counting.execute(() -> depth.set(counted.count(status)));
                        } catch (RuntimeException stopping) {
                            // The controller is stopping: nothing more to count.
                        }
                    }, 0, ASYNC_DEPTH_EVERY_S, TimeUnit.SECONDS));
                }
                health = new ServingHealth(view::size);
                fleet.subscribe(health);
                NettyServerBuilder serverBuilder = NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, requestedPort));
                if (tls != null) {
                    // Clients may come without a certificate; WorkerCertificateCheck requires one of workers.
                    serverBuilder.sslContext(tls.serverContext(false)).intercept(new WorkerCertificateCheck());
                }
                server = serverBuilder
                        .bossEventLoopGroup(loops)
                        .workerEventLoopGroup(loops)
                        .channelType(EventLoops.serverChannelType())
                        .executor(handlers)
                        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                        // A connection that never finishes the HTTP/2 preface is dropped after this, not grpc's 120 s.
                        .handshakeTimeout(HANDSHAKE_TIMEOUT_S, TimeUnit.SECONDS)
                        // Workers may keep their long-lived link alive with pings.
                        .permitKeepAliveTime(5, TimeUnit.SECONDS)
                        .permitKeepAliveWithoutCalls(true)
                        .addService(new FunctionsGrpcService(catalog, admission, concurrencyChanged))
                        .addService(new InvocationsGrpcService(invoker, async))
                        .addService(new ControllersGrpcService(() -> cluster, () -> serving))
                        .addService(new FleetGrpcService(fleet, handlers))
                        .addService(new WorkerLinkGrpcService(fleet, catalog.code(), heartbeatInterval,
                                tls != null ? WorkerIdentity.certificates(tls.certificate()) : WorkerIdentity.plaintext()))
                        .addService(health.service())
                        // For grpcurl-style clients; behind the token like every service but health.
                        .addService(ProtoReflectionServiceV1.newInstance())
                        .intercept(OwnerForwarding.mark())
                        .intercept(token.checkExcept(Set.of(HealthGrpc.SERVICE_NAME)))
                        .build()
                        .start();
                serving = true;
                // Event invocations through the Lambda API go to the same durable queue as InvokeAsync.
                asyncInvocations = new QueuedInvocations(async);
                lambdaServer = LambdaApiServer.start(bindHost, requestedLambdaPort, loops, handlers,
                        new LambdaApi(catalog, invoker, asyncInvocations, fleetConcurrency,
                                lambdaCredentials, clock), lambdaConnections,
                        tls != null ? tls.httpsServerContext() : null, dataDir.resolve("uploads"));
                if (cluster != null) {
                    String host = advertiseHost != null ? advertiseHost : advertised(bindHost);
                    cluster.announce(new HostPort(host, server.getPort()), new HostPort(host, lambdaServer.port()), invoker,
                            catalog.code(), this::openPeerChannel, loops, handlers, () -> {
                                catalog.refresh().forEach(f -> admission.reserve(f.getName(), f.getConcurrency()));
                                admission.shareAmong(cluster.membership().live().size());
                            });
                    provisioner.owns(cluster.shards()::owns);
                }
                if (board != null) {
                    webView = WebView.start(requestedWeb, loops, board, List.of(token, webToken));
                }
                if (export != null) {
                    metricsServer = export.serve(requestedMetrics, loops,
                            () -> serving ? Health.OK : Health.down("the controller is stopping"));
                }
                long sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), heartbeatTimeout.toNanos() / 5);
                sweep = loops.next().scheduleAtFixedRate(this::expireSilentWorkers, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
                // The pass reads the catalog and the view and sends asynchronously: off the event loop.
                ExecutorService passes = handlers;
                provisioning = loops.next().scheduleAtFixedRate(() -> passes.execute(provisioner::reconcile),
                        Provisioner.INTERVAL.toNanos(), Provisioner.INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
                LOG.log(System.Logger.Level.INFO, "controller serving on " + bindHost + ":" + server.getPort()
                        + " (" + EventLoops.transport() + ", " + (tls != null ? "TLS, CA " + tls.source() : "plaintext") + "), data in " + dataDir);
                if (tls == null && !loopback(bindHost)) {
                    LOG.log(System.Logger.Level.WARNING, "gRPC in plaintext on " + bindHost + ":" + server.getPort() + ": anyone on the"
                            + " network can read the cluster token and every payload (give --tls-dir DIR; floe tls init makes one)");
                }
                LOG.log(System.Logger.Level.INFO, "Lambda API on " + lambdaScheme() + "://" + bindHost + ":" + lambdaServer.port()
                        + (lambdaCredentials.required() ? " (SigV4 with " + lambdaCredentials.size() + " configured key(s))"
                                : " (any credentials)"));
                if (metricsServer != null) {
                    LOG.log(System.Logger.Level.INFO, "metrics on " + metricsServer.url() + " (and /healthz)");
                }
                if (webView != null) {
                    LOG.log(System.Logger.Level.INFO, "web view on " + webView.url() + " (open it with ?token= the cluster token or"
                            + " the read-only one in " + dataDir.resolve(WEB_TOKEN_FILE) + ")");
                }
                return this;
            } catch (IOException | RuntimeException e) {
                closed = true;
                stop();
                throw e;
            }
        }
    }

    private static boolean loopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** The host other controllers and workers reach this one at: the bind host unless it is a wildcard. */
    private static String advertised(String bindHost) {
        try {
            java.net.InetAddress bound = java.net.InetAddress.getByName(bindHost);
            return bound.isAnyLocalAddress() ? java.net.InetAddress.getLocalHost().getHostAddress() : bindHost;
        } catch (java.net.UnknownHostException e) {
            return bindHost;
        }
    }

    /** A channel to another controller of the cluster: its certificate must have role controller. */
    private ManagedChannel openPeerChannel(HostPort address) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(address.toString());
        if (tls != null) {
            builder.sslContext(tls.clientContext(CertificateRole.CONTROLLER));
        } else {
            builder.usePlaintext();
        }
        return builder.eventLoopGroup(loops).channelType(EventLoops.channelType()).executor(handlers).offloadExecutor(handlers)
                .maxInboundMessageSize(MAX_MESSAGE_BYTES).intercept(token.attach()).build();
    }

    private ManagedChannel openWorkerChannel(HostPort address) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(address.toString());
        if (tls != null) {
            // The worker's certificate must name the address it registered; the controller presents its own.
            // Its role may be controller too: floe up --tls shares the controller's certificate with local workers.
            builder.sslContext(tls.clientContext(CertificateRole.WORKER, CertificateRole.CONTROLLER));
        } else {
            builder.usePlaintext();
        }
        return builder
                .eventLoopGroup(loops)
                .channelType(EventLoops.channelType())
                .executor(handlers)
                .offloadExecutor(handlers)
                // Answers carry a response of up to 6 MB and a log tail.
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                // Fixed, not grown by grpc's bandwidth probes (up to 8 MB): it is what a worker may send ahead of a
                // streamed response's slow caller, so it bounds what the controller holds per stream.
                .flowControlWindow(WORKER_WINDOW_BYTES)
                .intercept(token.attach())
                .build();
    }

    private void expireSilentWorkers() {
        try {
            // The gateway fails the calls in flight to each: they would otherwise wait for their deadlines.
            fleet.expireSilent();
        } catch (RuntimeException e) {
            // A failure must not cancel the periodic task: the next sweep tries again.
            LOG.log(System.Logger.Level.ERROR, "heartbeat sweep failed", e);
        }
    }

    /** The bound port (the real one when built with port 0). */
    public int port() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("controller: not started (expected: start() first)");
            }
            return server.getPort();
        }
    }

    /**
     * The token every worker and client of this controller must send: the one it was built with, else
     * the one kept in {@code <dataDir>/token} (made on first start).
     */
    public ClusterToken token() {
        ClusterToken current = token;
        if (current == null) {
            throw new IllegalStateException("controller: not started (expected: start() first)");
        }
        return current;
    }

    /** The asynchronous invocation queue, for front ends other than gRPC (e.g. the Lambda REST API). */
    public AsyncQueue asyncQueue() {
        AsyncQueue current = async;
        if (current == null) {
            throw new IllegalStateException("controller: not started (expected: start() first)");
        }
        return current;
    }

    /** The bound port of the Lambda HTTP API (the real one when built with port 0). */
    public int lambdaPort() {
        synchronized (lifecycle) {
            if (lambdaServer == null) {
                throw new IllegalStateException("controller: not started (expected: start() first)");
            }
            return lambdaServer.port();
        }
    }

    /** How the Lambda HTTP API is spoken: {@code https} when the controller has TLS (the same certificate as gRPC), else {@code http}. */
    public String lambdaScheme() {
        return tls != null ? "https" : "http";
    }

    /**
     * The access keys the Lambda API requires: the ones it was built with, else those kept in
     * {@code <dataDir>/lambda-credentials} (made on first start); {@link LambdaCredentials#anyone()} when
     * built so.
     */
    public LambdaCredentials lambdaCredentials() {
        LambdaCredentials current = lambdaCredentials;
        if (current == null) {
            throw new IllegalStateException("controller: not started (expected: start() first)");
        }
        return current;
    }

    public MeterRegistry meters() {
        return meters;
    }

    /** Where {@code /metrics} and {@code /healthz} are served (the real port when asked for 0); empty without. */
    public java.util.Optional<HostPort> metricsAddress() {
        synchronized (lifecycle) {
            return java.util.Optional.ofNullable(metricsServer).map(MetricsServer::address);
        }
    }

    /** Where the web view is served (the real port when asked for 0); empty without. */
    public java.util.Optional<HostPort> webAddress() {
        synchronized (lifecycle) {
            return java.util.Optional.ofNullable(webView).map(WebView::address);
        }
    }

    /** The read-only token that opens the web view (and nothing else); empty without a web view. */
    public java.util.Optional<ClusterToken> webToken() {
        return java.util.Optional.ofNullable(webToken);
    }

    /** Stops serving, ends every worker's link, and stops every thread. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (started) {
                stop();
            } else {
                Lifecycles.closeQuietly(export);
            }
        }
    }

    private void stop() {
        serving = false;
        if (sweep != null) {
            sweep.cancel(false);
        }
        if (provisioning != null) {
            provisioning.cancel(false);
        }
        asyncDepth.forEach(f -> f.cancel(false));
        if (health != null) {
            health.stopping();
        }
        if (server != null) {
            server.shutdown();
        }
        if (async != null) {
            // Attempts cut off by the shutdown stay running in the store, and run again on the next start.
            async.stopDispatching();
        }
        Lifecycles.closeQuietly(lambdaServer);
        Lifecycles.closeQuietly(webView);
        Lifecycles.closeQuietly(asyncInvocations);
        // The workers' links are long-lived calls: ending them lets the server finish; their
        // channels shut down gracefully, so invocations in flight still get their answers.
        if (fleet != null) {
            fleet.close();
        }
        if (workers != null) {
            workers.close(SHUTDOWN_GRACE);
        }
        if (cluster != null) {
            cluster.quiesce();
        }
        Lifecycles.shutdown(server, SHUTDOWN_GRACE);
        // After the server, so no call queues into a closed store; attempts still running are queued again on the next start.
        Lifecycles.closeQuietly(async);
        // Last before the loops it runs on: a scraper sees /healthz turn 503 while the rest stops.
        Lifecycles.closeQuietly(export);
        Lifecycles.shutdown(handlers, SHUTDOWN_GRACE);
        Lifecycles.shutdown(loops, SHUTDOWN_GRACE);
        Lifecycles.closeQuietly(catalog);
        // Last: the lease revoked, the others take this controller's shards at once.
        Lifecycles.closeQuietly(cluster);
        LOG.log(System.Logger.Level.INFO, "controller stopped");
    }

    public static final class Builder {
        private static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

        private int port = 7070;
        private String bindHost = "0.0.0.0";
        private Path dataDir;
        private Duration heartbeatTimeout = Duration.ofSeconds(5);
        private Placement placement = new FloeDefaultPlacement();
        /** Null until set: then 1 s, or a third of the timeout if that is shorter. */
        private Duration heartbeatInterval;
        private MeterRegistry meterRegistry;
        private InstantSource clock = InstantSource.system();
        private ClusterToken token;
        private Admission.Limits admission = Admission.Limits.DEFAULT;
        private RetryPolicy asyncPolicy = RetryPolicy.LAMBDA_DEFAULT;
        /** -1 until set: then the gRPC port + 1 (any free port when that is 0). */
        private int lambdaPort = -1;
        /** Null: keys made on first start and kept in the data directory. */
        private LambdaCredentials lambdaCredentials;
        private ConnectionLimits lambdaConnections = ConnectionLimits.DEFAULT;
        private HostPort metrics;
        private HostPort web;
        private ClusterTls tls;
        private java.util.List<java.net.URI> etcd;
        private String etcdPrefix = "/floe/";
        private Duration lease = Duration.ofSeconds(5);
        private String memberId;
        private String advertiseHost;

        private Builder() {}

        /**
         * Joins a cluster of controllers sharing the etcd at {@code endpoints}: functions, aliases and the
         * asynchronous queue live there, code packages in each controller's data directory. Default none:
         * a single controller on SQLite.
         */
        public Builder etcd(java.util.List<java.net.URI> endpoints) {
            Check.notNull("etcd", endpoints);
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("etcd: [] (expected: at least one URL, e.g. http://127.0.0.1:2379)");
            }
            for (java.net.URI u : endpoints) {
                if (u.getHost() == null || u.getPort() <= 0 || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                    throw new IllegalArgumentException("etcd: " + u + " (expected: http://HOST:PORT or https://HOST:PORT)");
                }
            }
            this.etcd = java.util.List.copyOf(endpoints);
            return this;
        }

        /** Where in etcd the cluster's keys live; default {@code /floe/}: clusters sharing one etcd need their own. */
        public Builder etcdPrefix(String etcdPrefix) {
            Check.notNull("etcdPrefix", etcdPrefix);
            if (!etcdPrefix.startsWith("/") || !etcdPrefix.endsWith("/")) {
                throw new IllegalArgumentException("etcdPrefix: " + etcdPrefix + " (expected: starting and ending with /, e.g. /floe/)");
            }
            this.etcdPrefix = etcdPrefix;
            return this;
        }

        /** The lease a cluster member holds its membership and shards on: how soon the others take over when it dies. Default 5 s. */
        public Builder lease(Duration lease) {
            Check.notNull("lease", lease);
            if (lease.toSeconds() < 2 || lease.toSeconds() > 300) {
                throw new IllegalArgumentException("lease: " + lease.toMillis() + " ms (expected: 2..300 s)");
            }
            this.lease = lease;
            return this;
        }

        /** This controller's name among the cluster's; default a random one. */
        public Builder memberId(String memberId) {
            this.memberId = Check.notNull("memberId", memberId);
            return this;
        }

        /** The host others reach this controller at; default the bind host, or this machine's address when binding to all. */
        public Builder advertiseHost(String advertiseHost) {
            this.advertiseHost = Check.notNull("advertiseHost", advertiseHost);
            return this;
        }

        /**
         * The fleet's concurrency limit, the invocations that may wait for a slot or for room, and for how
         * long. Default 1,000 at once (Lambda's account default), 10,000 waiting, 1 s.
         */
        public Builder admission(Admission.Limits limits) {
            this.admission = Check.notNull("admission", limits);
            return this;
        }

        /** The port to serve on; 0 picks a free one (see {@link Controller#port()}). Default 7070. */
        public Builder port(int port) {
            this.port = Check.range("port", port, 0, 65_535);
            return this;
        }

        /** The address to bind; default {@code 0.0.0.0}, every interface. */
        public Builder bindHost(String bindHost) {
            if (bindHost == null || bindHost.isBlank()) {
                throw new IllegalArgumentException("bindHost: \"" + bindHost + "\" (expected: a host name or address)");
            }
            this.bindHost = bindHost;
            return this;
        }

        /** Where functions and code packages are kept. Required. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Check.notNull("dataDir", dataDir);
            return this;
        }

        /** How long a worker may report nothing before it leaves the fleet view. Default 5 s. */
        public Builder heartbeatTimeout(Duration heartbeatTimeout) {
            this.heartbeatTimeout = Check.positive("heartbeatTimeout", heartbeatTimeout);
            return this;
        }

        /**
         * How often workers are told to send a heartbeat. Default 1 s, or a third of
         * {@link #heartbeatTimeout} if that is shorter, so a short timeout alone is enough.
         */
        public Builder heartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = Check.positive("heartbeatInterval", heartbeatInterval);
            return this;
        }

        /** Where the controller's meters go; default a new {@link SimpleMeterRegistry}. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Check.notNull("meterRegistry", meterRegistry);
            return this;
        }

        /**
         * Where invocations run; default {@link FloeDefaultPlacement}. See
         * {@link dev.floe.controller.placement.Placements} for the policies by name.
         */
        public Builder placement(Placement placement) {
            this.placement = Check.notNull("placement", placement);
            return this;
        }

        /** The clock for heartbeats, connection times and revision times; default the system clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Check.notNull("clock", clock);
            return this;
        }

        /** The cluster's token; default the one kept in {@code <dataDir>/token}, made on first start. */
        public Builder token(ClusterToken token) {
            this.token = Check.notNull("token", token);
            return this;
        }

        /** Retries, backoff and maximum event age of asynchronous invocations; default Lambda's. */
        public Builder asyncRetryPolicy(RetryPolicy asyncRetryPolicy) {
            this.asyncPolicy = Check.notNull("asyncRetryPolicy", asyncRetryPolicy);
            return this;
        }

        /**
         * The port of Lambda's HTTP API; 0 picks a free one (see {@link Controller#lambdaPort()}).
         * Default: the gRPC port + 1, or a free one when the gRPC port is 0.
         */
        public Builder lambdaPort(int lambdaPort) {
            this.lambdaPort = Check.range("lambdaPort", lambdaPort, 0, 65_535);
            return this;
        }

        /**
         * The access keys Lambda API requests must be SigV4-signed with; {@link LambdaCredentials#anyone()}
         * accepts any request. Default: a key made on first start and kept in {@code <dataDir>/lambda-credentials}
         * (0600), so that code running in a function, as another user, cannot sign requests.
         */
        public Builder lambdaCredentials(LambdaCredentials lambdaCredentials) {
            this.lambdaCredentials = Check.notNull("lambdaCredentials", lambdaCredentials);
            return this;
        }

        /**
         * The Lambda API's idle and read timeouts and its bound on open connections; default
         * {@link ConnectionLimits#DEFAULT} (60 s idle, 30 s to read a request, 2,000 connections).
         */
        public Builder lambdaConnections(ConnectionLimits lambdaConnections) {
            this.lambdaConnections = Check.notNull("lambdaConnections", lambdaConnections);
            return this;
        }

        /**
         * Serves the controller's meters (with the JVM's and the process's) as Prometheus text on
         * {@code http://ADDRESS/metrics}, and {@code /healthz}; port 0 picks a free one. Default: no endpoint.
         * The meters name functions, so bind it to loopback unless scrapers elsewhere need it.
         */
        public Builder metrics(HostPort metrics) {
            this.metrics = Check.notNull("metrics", metrics);
            return this;
        }

        /**
         * Serves the web view of the fleet on {@code http://ADDRESS/}; port 0 picks a free one. Default: none.
         * It requires the cluster token or the read-only web token kept in {@code <dataDir>/web-token}.
         */
        public Builder web(HostPort web) {
            this.web = Check.notNull("web", web);
            return this;
        }

        /**
         * TLS on the gRPC port and on the channels to workers: the controller presents its certificate,
         * checks workers' against the CA, and admits to {@code WorkerLink} only peers with one. Default
         * none (plaintext). The certificate must have role {@code controller}: workers take calls from no other.
         * The Lambda HTTP API stays plaintext.
         */
        public Builder tls(ClusterTls tls) {
            Check.notNull("tls", tls);
            if (!tls.hasCertificate()) {
                throw new IllegalArgumentException("tls: " + tls + " (expected: a certificate and key for the controller to present)");
            }
            String refusal = CertificateRole.refusal(tls.certificate(), "the controller", CertificateRole.CONTROLLER);
            if (refusal != null) {
                throw new IllegalArgumentException("tls: " + refusal);
            }
            this.tls = tls;
            return this;
        }

        public Controller build() {
            if (lambdaPort < 0 && port == 65_535) {
                throw new IllegalArgumentException("port: 65535 (expected: at most 65534, or a lambdaPort of its own: "
                        + "the Lambda API takes the next port by default)");
            }
            Check.notNull("dataDir", dataDir);
            if (heartbeatInterval == null) {
                // Three heartbeats per timeout: one lost or late heartbeat does not drop a worker.
                Duration third = heartbeatTimeout.dividedBy(3);
                heartbeatInterval = third.compareTo(DEFAULT_HEARTBEAT_INTERVAL) < 0 ? third : DEFAULT_HEARTBEAT_INTERVAL;
                if (heartbeatInterval.toMillis() < 1) {
                    heartbeatInterval = Duration.ofMillis(1);
                }
            }
            if (heartbeatInterval.compareTo(heartbeatTimeout) >= 0) {
                throw new IllegalArgumentException("heartbeatInterval: " + heartbeatInterval.toMillis() + " ms (expected: less than heartbeatTimeout, "
                        + heartbeatTimeout.toMillis() + " ms, or every worker would time out)");
            }
            if (heartbeatInterval.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("heartbeatInterval: " + heartbeatInterval + " (expected: at most " + Integer.MAX_VALUE + " ms)");
            }
            return new Controller(this);
        }
    }
}
