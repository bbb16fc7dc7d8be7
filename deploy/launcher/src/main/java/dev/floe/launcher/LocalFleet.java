package dev.floe.launcher;

import dev.floe.client.FloeClient;
import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.Controller;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.worker.Worker;
import dev.floe.worker.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A controller and N workers in one process, over real gRPC on loopback: what {@code floe up} and
 * {@code floe demo} run. Its workers are ordinary workers: each has its own data directory, sandbox,
 * event loops and link to the controller. Closing it retires every environment.
 */
public final class LocalFleet implements AutoCloseable {
    private final Controller controller;
    private final List<Worker> workers;
    /** Null: plaintext. */
    private final ClusterTls tls;

    private LocalFleet(Controller controller, List<Worker> workers, ClusterTls tls) {
        this.controller = controller;
        this.workers = workers;
        this.tls = tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Controller controller() {
        return controller;
    }

    /** Where the controller serves Lambda's HTTP API, e.g. for an AWS SDK's endpoint override. */
    public java.net.URI lambdaEndpoint() {
        return java.net.URI.create(controller.lambdaScheme() + "://127.0.0.1:" + controller.lambdaPort());
    }

    public HostPort endpoint() {
        return new HostPort("127.0.0.1", controller.port());
    }

    /** A client of this fleet's controller, with its token. */
    public FloeClient client() {
        return tls != null ? FloeClient.connect(endpoint(), controller.token(), tls) : FloeClient.connect(endpoint(), controller.token());
    }

    /** The TLS files the fleet's controller and workers use, if any. */
    public java.util.Optional<ClusterTls> tls() {
        return java.util.Optional.ofNullable(tls);
    }

    public List<Worker> workers() {
        return workers;
    }

    /** Waits until every worker has registered with the controller. */
    public LocalFleet awaitRegistered(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!workers.stream().allMatch(Worker::registered)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("workers did not register with the controller within " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for workers", e);
            }
        }
        return this;
    }

    /** Stops the workers (retiring every environment), then the controller. Idempotent. */
    @Override
    public void close() {
        workers.forEach(Lifecycles::closeQuietly);
        Lifecycles.closeQuietly(controller);
    }

    public static final class Builder {
        private int workers = 2;
        private int port = 7070;
        private String host = "127.0.0.1";
        private Path dataDir;
        private int workerMemoryMb = 4096;
        private Sandbox.Options sandbox = Sandbox.Options.defaults();
        private dev.floe.controller.placement.Placement placement;
        private UnaryOperator<Worker.Builder> workerTuning = UnaryOperator.identity();
        private UnaryOperator<Controller.Builder> controllerTuning = UnaryOperator.identity();
        private ClusterToken token;
        private ClusterTls tls;
        private Integer lambdaPort;
        /** Null: the controller's own, made on first start in its data directory. */
        private LambdaCredentials lambdaCredentials;
        /** -1: no metrics endpoints. */
        private int metricsPort = -1;
        private String metricsHost = "127.0.0.1";

        private Builder() {}

        public Builder workers(int workers) {
            this.workers = Check.range("workers", workers, 1, 64);
            return this;
        }

        /** The controller's gRPC port; 0 picks a free one. */
        public Builder port(int port) {
            this.port = Check.range("port", port, 0, 65_535);
            return this;
        }

        public Builder host(String host) {
            this.host = Check.notNull("host", host);
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = Check.notNull("dataDir", dataDir).toAbsolutePath();
            return this;
        }

        public Builder workerMemoryMb(int workerMemoryMb) {
            this.workerMemoryMb = Check.range("workerMemoryMb", workerMemoryMb, 128, 16 * 1024 * 1024);
            return this;
        }

        public Builder sandbox(Sandbox.Options sandbox) {
            this.sandbox = Check.notNull("sandbox", sandbox);
            return this;
        }

        /** The cluster's token; default the controller's own, kept in {@code <dataDir>/controller/token}. */
        public Builder token(ClusterToken token) {
            this.token = Check.notNull("token", token);
            return this;
        }

        /** Where the controller runs invocations; default Floe's. */
        public Builder placement(dev.floe.controller.placement.Placement placement) {
            this.placement = Check.notNull("placement", placement);
            return this;
        }

        /** The port of the controller's Lambda HTTP API; default the gRPC port + 1 (any free one with port 0). */
        public Builder lambdaPort(int lambdaPort) {
            this.lambdaPort = Check.range("lambdaPort", lambdaPort, 0, 65_535);
            return this;
        }

        /**
         * The access keys the Lambda API requires; default the controller's own, made on first start in
         * {@code <dataDir>/controller/lambda-credentials}.
         */
        public Builder lambdaCredentials(LambdaCredentials lambdaCredentials) {
            this.lambdaCredentials = Check.notNull("lambdaCredentials", lambdaCredentials);
            return this;
        }

        /**
         * Serves metrics: the controller's on {@code metricsPort}, worker N's on {@code metricsPort + N}; with
         * 0, each on a free port. Default: none.
         */
        public Builder metricsPort(int metricsPort) {
            this.metricsPort = Check.range("metricsPort", metricsPort, 0, 65_535);
            return this;
        }

        /** The address the metrics endpoints bind; default {@code 127.0.0.1}. */
        public Builder metricsHost(String metricsHost) {
            this.metricsHost = Check.notNull("metricsHost", metricsHost);
            return this;
        }

        /**
         * TLS for every gRPC connection of the fleet; the controller and the workers present the same
         * certificate, which must name 127.0.0.1. Default none (plaintext).
         */
        public Builder tls(ClusterTls tls) {
            this.tls = Check.notNull("tls", tls);
            return this;
        }

        /** Further settings for every worker (keep-alive, freeze grace...). */
        public Builder workerTuning(UnaryOperator<Worker.Builder> workerTuning) {
            this.workerTuning = Check.notNull("workerTuning", workerTuning);
            return this;
        }

        /** Further settings for the controller (admission limits, the asynchronous retry policy...). */
        public Builder controllerTuning(UnaryOperator<Controller.Builder> controllerTuning) {
            this.controllerTuning = Check.notNull("controllerTuning", controllerTuning);
            return this;
        }

        /** Starts the controller, then the workers; on failure, stops whatever started. */
        public LocalFleet start() throws IOException {
            Check.notNull("dataDir", dataDir);
            if (metricsPort > 0 && metricsPort + workers > 65_535) {
                throw new IllegalArgumentException("metricsPort: " + metricsPort + " (expected: at most " + (65_535 - workers)
                        + ", so that each of the " + workers + " workers has the port after it, or 0 for free ports)");
            }
            Controller.Builder controllerBuilder = Controller.builder().port(port).bindHost(host).dataDir(dataDir.resolve("controller"));
            if (token != null) {
                controllerBuilder.token(token);
            }
            if (placement != null) {
                controllerBuilder.placement(placement);
            }
            if (lambdaPort != null) {
                controllerBuilder.lambdaPort(lambdaPort);
            }
            if (lambdaCredentials != null) {
                controllerBuilder.lambdaCredentials(lambdaCredentials);
            }
            if (metricsPort >= 0) {
                controllerBuilder.metrics(new HostPort(metricsHost, metricsPort));
            }
            if (tls != null) {
                controllerBuilder.tls(tls);
            }
            Controller controller = controllerTuning.apply(controllerBuilder).build();
            List<Worker> started = new ArrayList<>();
            try {
                controller.start();
                HostPort endpoint = new HostPort("127.0.0.1", controller.port());
                for (int i = 1; i <= workers; i++) {
                    Worker.Builder worker = Worker.builder()
                            .id("worker-" + i)
                            .controller(endpoint)
                            .token(controller.token())
                            .listenHost("127.0.0.1")
                            .memoryMb(workerMemoryMb)
                            .sandbox(sandbox)
                            .dataDir(dataDir.resolve("workers").resolve("worker-" + i));
                    if (metricsPort >= 0) {
                        worker.metrics(new HostPort(metricsHost, metricsPort == 0 ? 0 : metricsPort + i));
                    }
                    if (tls != null) {
                        worker.tls(tls);
                    }
                    started.add(workerTuning.apply(worker).build().start());
                }
                return new LocalFleet(controller, List.copyOf(started), tls);
            } catch (IOException | RuntimeException e) {
                started.forEach(Lifecycles::closeQuietly);
                Lifecycles.closeQuietly(controller);
                throw e;
            }
        }
    }
}
