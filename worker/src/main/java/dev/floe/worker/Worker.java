package dev.floe.worker;

import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.FunctionLimits;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.metrics.Health;
import dev.floe.common.metrics.MeterExport;
import dev.floe.common.metrics.MetricsServer;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.worker.code.CodeCache;
import dev.floe.worker.code.PackageUnpacker;
import dev.floe.worker.environment.EnvironmentHost;
import dev.floe.worker.environment.EnvironmentPool;
import dev.floe.worker.environment.EnvironmentView;
import dev.floe.worker.environment.KeepAlivePolicy;
import dev.floe.worker.environment.WorkerMetrics;
import dev.floe.worker.grpc.ControllerCertificateCheck;
import dev.floe.worker.grpc.LinkHealth;
import dev.floe.worker.grpc.WorkerInvokerGrpcService;
import dev.floe.worker.link.ControllerLinks;
import dev.floe.worker.link.ControllerLink;
import dev.floe.worker.runtimeapi.RuntimeApiServer;
import dev.floe.worker.sandbox.Sandbox;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A Floe worker: hosts execution environments on this machine, serves invocations to the controller
 * over gRPC, and keeps the controller told of every environment over its link. {@link #close()}
 * retires every environment: no process it started outlives it. Given a metrics address, it serves its
 * meters for Prometheus ({@link MetricsServer}), and {@code /healthz} answers 503 while its link to the
 * controller is down.
 */
public final class Worker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Worker.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Builder config;
    /** Null without a metrics address. */
    private final MeterExport export;
    private final MeterRegistry meters;
    private MetricsServer metricsServer;
    private EventLoopGroup loops;
    private ExecutorService blocking;
    private Sandbox sandbox;
    private dev.floe.worker.runtime.Runtimes runtimes;
    private EnvironmentPool pool;
    private Server server;
    private volatile ControllerLinks links;
    private LinkHealth health;
    private WorkerMetrics metrics;
    private String address;
    private boolean closed;

    private Worker(Builder config) {
        this.config = config;
        this.export = config.metrics != null ? MeterExport.create(config.meters) : null;
        this.meters = export != null ? export.registry() : config.meters;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens the sandbox, serves invocations and connects to the controller (retrying until it answers). */
    public synchronized Worker start() throws IOException {
        try {
            loops = EventLoops.group("floe-worker-" + config.id, 0);
            blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("floe-worker-" + config.id + "-io-", 0).factory());
            Path data = Files.createDirectories(config.dataDir);
            sandbox = Sandbox.open(config.id, data, config.sandbox);
            ControllerLinks[] linksRef = new ControllerLinks[1];
            String[] addressRef = new String[1];
            CodeCache code = new CodeCache(data.resolve("code"), (sha256, target) -> linksRef[0].codeSource().fetch(sha256, target),
                    new PackageUnpacker(FunctionLimits.CODE_UNPACKED_MAX_BYTES, FunctionLimits.CODE_ENTRIES_MAX), config.codeCacheBytes, blocking,
                    sandbox.codeDirectoryPermissions());
            metrics = new WorkerMetrics(meters, config.id);
            EnvironmentHost host = new EnvironmentHost(config.id, config.region, sandbox, code, new RuntimeApiServer(blocking),
                    blocking, sandbox.environmentsDir(), config.freezeGrace, config.initTimeout, Duration.ofSeconds(60),
                    InstantSource.system(), System::nanoTime, metrics,
                    runtimes = dev.floe.worker.runtime.Runtimes.install(data.resolve("runtimes"), blocking));
            pool = EnvironmentPool.builder()
                    .host(host).loops(loops).memoryBudgetMb(config.memoryMb)
                    .keepAlive(config.keepAlive).handoffWait(config.handoffWait)
                    .listener((EnvironmentView view) -> {
                        ControllerLinks l = linksRef[0];
                        // FINISHING is still BUSY on the wire, and RETIRING already said RETIRED: the
                        // controllers hear of each change they can see, once.
                        if (l != null && view.state().changesTheFleetView()) {
                            l.report(view);
                        }
                    })
                    .build();
            String advertised = advertisedHost();
            // By default only the interface facing the controller: the one address the worker must be reachable at.
            String listen = config.listenHost != null ? config.listenHost : advertised;
            LinkHealth linkHealth = health = new LinkHealth(() -> {
                ControllerLinks current = links;
                return current != null && current.connected();
            });
            NettyServerBuilder serverBuilder = NettyServerBuilder.forAddress(new InetSocketAddress(listen, config.port));
            if (config.tls != null) {
                // Only the controller calls a worker: a peer without a certificate from the cluster's CA fails the handshake.
                serverBuilder.sslContext(config.tls.serverContext(true));
            }
            if (config.tls != null) {
                // Every worker's certificate passes the handshake too; only the controller's role may call. Runs after the token check.
                serverBuilder.intercept(new ControllerCertificateCheck());
            }
            server = serverBuilder
                    .bossEventLoopGroup(loops).workerEventLoopGroup(loops).channelType(EventLoops.serverChannelType())
                    .directExecutor()
                    .maxInboundMessageSize(FunctionLimits.PAYLOAD_MAX_BYTES + 1024 * 1024)
                    // A connection that never finishes the HTTP/2 preface is dropped after 10 s, not grpc's 120 s.
                    .handshakeTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                    .addService(new WorkerInvokerGrpcService(pool, config.id, metrics.registry()))
                    .addService(linkHealth.service())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    // Only the controller may invoke: anything else reaching this port, a function included, is refused.
                    // Health alone is open, for balancers and probes that know no token.
                    .intercept(config.token.checkExcept(java.util.Set.of(HealthGrpc.SERVICE_NAME)))
                    .build().start();
            address = advertised + ":" + server.getPort();
            var info = sandbox.info();
            dev.floe.proto.Sandbox described = dev.floe.proto.Sandbox.newBuilder().setFreezer(info.freezer())
                    .setMemoryLimit(info.memoryLimit()).setTmp(info.tmp()).setLauncher(info.launcher()).setUsers(info.users()).build();
            EnvironmentPool environments = pool;
            links = new ControllerLinks(config.controllers, this::openControllerChannel,
                    (channel, at) -> new ControllerLink(channel, loops.next(), config.id, address, config.memoryMb, described,
                            environments, environments::memoryReservedMb),
                    loops.next(), blocking);
            linksRef[0] = links;
            links.start();
            loops.next().scheduleWithFixedDelay(linkHealth::refresh, 0, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (export != null) {
                metricsServer = export.serve(config.metrics, loops, this::health);
            }
            LOG.log(System.Logger.Level.INFO, "worker " + config.id + " serving on " + address + " (memory " + config.memoryMb
                    + " MB, freezer " + info.freezer() + ", memory limit " + info.memoryLimit() + ", /tmp " + info.tmp()
                    + ", launcher " + info.launcher() + ", users " + info.users() + "), controllers " + config.controllers
                    + (config.tls != null ? " over TLS" : ""));
            if (metricsServer != null) {
                LOG.log(System.Logger.Level.INFO, "worker " + config.id + " metrics on " + metricsServer.url() + " (and /healthz)");
            }
            return this;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public String id() {
        return config.id;
    }

    /** host:port the controller reaches this worker at. */
    public String address() {
        return address;
    }

    public Sandbox.Info sandbox() {
        return sandbox.info();
    }

    public boolean registered() {
        return links != null && links.connected();
    }

    /** The controllers this worker is registered with, by address. */
    public List<String> controllers() {
        return links == null ? List.of() : links.linked();
    }

    private ManagedChannel openControllerChannel(HostPort address) {
        NettyChannelBuilder toController = NettyChannelBuilder.forAddress(address.host(), address.port());
        if (config.tls != null) {
            // Presents the worker's certificate: the controller admits to WorkerLink only peers with one. The controller
            // must present one with role controller: another worker's certificate may name the address dialled too.
            toController.sslContext(config.tls.clientContext(CertificateRole.CONTROLLER));
        } else {
            toController.usePlaintext();
        }
        return toController
                .eventLoopGroup(loops).channelType(EventLoops.channelType())
                .keepAliveTime(30, TimeUnit.SECONDS)
                .intercept(config.token.attach())
                .build();
    }

    public List<EnvironmentView> environments() {
        return pool.views();
    }

    public MeterRegistry meters() {
        return meters;
    }

    /** Where {@code /metrics} and {@code /healthz} are served (the real port when asked for 0); empty without. */
    public synchronized java.util.Optional<HostPort> metricsAddress() {
        return java.util.Optional.ofNullable(metricsServer).map(MetricsServer::address);
    }

    /** Healthy while connected to the controller: a worker away from it receives no invocations. */
    private Health health() {
        ControllerLinks current = links;
        return current != null && current.connected() ? Health.OK
                : Health.down("worker " + config.id + " is not connected to the controller at " + (config.controllers.size() == 1
                        ? config.controllers.getFirst().toString() : "any of " + config.controllers));
    }

    /** Ends the link, stops serving, retires every environment and removes its cgroups. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (health != null) {
            health.stopping();
        }
        Lifecycles.closeQuietly(links);
        Lifecycles.shutdown(server, Duration.ofSeconds(5));
        Lifecycles.closeQuietly(pool);
        Lifecycles.closeQuietly(runtimes);
        Lifecycles.closeQuietly(sandbox);
        Lifecycles.closeQuietly(export);
        Lifecycles.shutdown(loops, Duration.ofSeconds(5));
        if (blocking != null) {
            blocking.close();
        }
    }

    /** The address the controller can reach: the listen host if specific, else this machine's address toward the controller. */
    private String advertisedHost() {
        if (config.advertiseHost != null) {
            return config.advertiseHost;
        }
        try {
            if (config.listenHost != null) {
                InetAddress listen = InetAddress.getByName(config.listenHost);
                if (!listen.isAnyLocalAddress()) {
                    return listen.getHostAddress();
                }
            }
            try (DatagramSocket probe = new DatagramSocket()) {
                // connect() on a UDP socket sends nothing; it only picks the route and so the local address.
                probe.connect(InetAddress.getByName(config.controllers.getFirst().host()), config.controllers.getFirst().port());
                InetAddress local = probe.getLocalAddress();
                if (local != null && !local.isAnyLocalAddress()) {
                    return local.getHostAddress();
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot find an address toward the controller: " + e.getMessage());
        }
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /**
     * The worker's id when none is given: the host name and a random suffix, chosen on the first
     * start and kept in the data directory, so a restarted worker is the same worker (and finds what it
     * left) while two machines with the same host name are not.
     */
    static String defaultId(Path dataDir) {
        Path file = dataDir.resolve("worker-id");
        try {
            if (Files.exists(file)) {
                String stored = Files.readString(file).strip();
                if (ID.matcher(stored).matches()) {
                    return stored;
                }
            }
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName().split("\\.")[0].replaceAll("[^A-Za-z0-9._-]", "-");
            } catch (IOException e) {
                host = "worker";
            }
            String id = (host.length() > 50 ? host.substring(0, 50) : host) + "-"
                    + HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextInt()).substring(0, 6);
            Files.createDirectories(dataDir);
            Files.writeString(file, id + "\n");
            return id;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot keep the worker's id in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The worker's id when none is given over TLS: its certificate's name, the one id the controller accepts from it. */
    static String certificateId(ClusterTls tls) {
        String name = tls.name();
        if (!ID.matcher(name).matches()) {
            throw new IllegalArgumentException("worker id: the certificate's name \"" + name + "\" is not one (expected: 1 to 64 letters,"
                    + " digits, '.', '_' or '-', as floe tls issue --name gives; or --id ID)");
        }
        return name;
    }

    /** 80% of this machine's memory, for environments. */
    static int defaultMemoryMb() {
        long bytes = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return (int) Math.max(128, bytes * 8 / 10 / (1024 * 1024));
    }

    public static final class Builder {
        private String id;
        private List<HostPort> controllers;
        private ClusterToken token;
        /** Null: the interface facing the controller. */
        private String listenHost;
        private int port;
        private String advertiseHost;
        private Integer memoryMb;
        private Path dataDir;
        private Duration freezeGrace = Duration.ofMillis(20);
        private Duration initTimeout = Duration.ofSeconds(10);
        private Duration handoffWait = Duration.ofMillis(100);
        private KeepAlivePolicy keepAlive = KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10));
        private Sandbox.Options sandbox = Sandbox.Options.defaults();
        private String region = "us-east-1";
        private long codeCacheBytes = 10L * 1024 * 1024 * 1024;
        private MeterRegistry meters;
        private HostPort metrics;
        private ClusterTls tls;

        private Builder() {}

        /**
         * Letters, digits, '.', '_' or '-'. Default: with {@link #tls}, the name the certificate was issued
         * for (the controller accepts no other from it); else the host name and a random suffix kept in the
         * data directory.
         */
        public Builder id(String id) {
            if (id == null || !ID.matcher(id).matches()) {
                throw new IllegalArgumentException("worker id: \"" + id + "\" (expected: 1 to 64 letters, digits, '.', '_' or '-')");
            }
            this.id = id;
            return this;
        }

        public Builder controller(HostPort controller) {
            return controllers(List.of(Check.notNull("controller", controller)));
        }

        /**
         * The controllers to reach first: one is enough in a cluster of controllers, the worker learns the
         * others from it; more let it start while some are down.
         */
        public Builder controllers(List<HostPort> controllers) {
            Check.notNull("controllers", controllers);
            if (controllers.isEmpty()) {
                throw new IllegalArgumentException("controllers: [] (expected: at least one HOST:PORT)");
            }
            this.controllers = List.copyOf(controllers);
            return this;
        }

        /** Where the gRPC service listens; default: the interface facing the controller ("0.0.0.0" for all). */
        public Builder listenHost(String listenHost) {
            this.listenHost = Check.notNull("listenHost", listenHost);
            return this;
        }

        /** The gRPC port for the controller's calls; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = Check.range("port", port, 0, 65_535);
            return this;
        }

        /** The host the controller should dial, when the one found automatically is wrong (NAT, several interfaces). */
        public Builder advertiseHost(String advertiseHost) {
            this.advertiseHost = advertiseHost;
            return this;
        }

        /** The budget for the sum of the environments' memory sizes. */
        public Builder memoryMb(int memoryMb) {
            this.memoryMb = Check.range("memoryMb", memoryMb, FunctionLimits.MEMORY_MIN_MB, 16 * 1024 * 1024);
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = Check.notNull("dataDir", dataDir).toAbsolutePath();
            return this;
        }

        /** How long an idle environment stays thawed before it is frozen (default 20 ms). */
        public Builder freezeGrace(Duration freezeGrace) {
            this.freezeGrace = Check.nonNegative("freezeGrace", freezeGrace);
            return this;
        }

        public Builder initTimeout(Duration initTimeout) {
            this.initTimeout = Check.positive("initTimeout", initTimeout);
            return this;
        }

        public Builder handoffWait(Duration handoffWait) {
            this.handoffWait = Check.nonNegative("handoffWait", handoffWait);
            return this;
        }

        /** How long idle environments live; default: retire after 10 minutes idle. */
        public Builder keepAlive(KeepAlivePolicy keepAlive) {
            this.keepAlive = Check.notNull("keepAlive", keepAlive);
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            return keepAlive(KeepAlivePolicy.idleTimeout(Check.positive("idleTimeout", idleTimeout)));
        }

        public Builder sandbox(Sandbox.Options sandbox) {
            this.sandbox = Check.notNull("sandbox", sandbox);
            return this;
        }

        public Builder region(String region) {
            this.region = Check.notNull("region", region);
            return this;
        }

        public Builder codeCacheBytes(long codeCacheBytes) {
            this.codeCacheBytes = Check.positive("codeCacheBytes", codeCacheBytes);
            return this;
        }

        public Builder meters(MeterRegistry meters) {
            this.meters = Check.notNull("meters", meters);
            return this;
        }

        /**
         * Serves the worker's meters (with the JVM's and the process's) as Prometheus text on
         * {@code http://ADDRESS/metrics}, and {@code /healthz}; port 0 picks a free one. Default: no endpoint.
         * The meters name functions, so bind it to loopback unless scrapers elsewhere need it.
         */
        public Builder metrics(HostPort metrics) {
            this.metrics = Check.notNull("metrics", metrics);
            return this;
        }

        /** The cluster's token, the controller's (see {@code Controller#token()}). Required. */
        public Builder token(ClusterToken token) {
            this.token = Check.notNull("token", token);
            return this;
        }

        /**
         * TLS toward the controller and on the worker's own port, both with the worker's certificate
         * (mutual TLS: the controller must present one too). Default none (plaintext). The certificate
         * must name the address the worker advertises and have role {@code worker}, or {@code controller}
         * (the one certificate {@code floe up --tls} shares with its local workers).
         */
        public Builder tls(ClusterTls tls) {
            Check.notNull("tls", tls);
            if (!tls.hasCertificate()) {
                throw new IllegalArgumentException("tls: " + tls + " (expected: a certificate and key for the worker to present;"
                        + " floe tls issue makes them)");
            }
            String refusal = CertificateRole.refusal(tls.certificate(), "this worker", CertificateRole.WORKER, CertificateRole.CONTROLLER);
            if (refusal != null) {
                throw new IllegalArgumentException("tls: " + refusal);
            }
            this.tls = tls;
            return this;
        }

        public Worker build() {
            Check.notNull("controllers", controllers);
            Check.notNull("token", token);
            Check.notNull("dataDir", dataDir);
            if (id == null) {
                id = tls != null ? certificateId(tls) : defaultId(dataDir);
            }
            if (memoryMb == null) {
                memoryMb = defaultMemoryMb();
            }
            if (meters == null && metrics == null) {
                meters = new SimpleMeterRegistry();
            }
            return new Worker(this);
        }
    }
}
