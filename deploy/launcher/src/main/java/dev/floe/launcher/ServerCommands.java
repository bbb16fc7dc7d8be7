package dev.floe.launcher;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.TlsFlags;
import dev.floe.client.cli.UsageException;
import dev.floe.common.HostPort;
import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.Controller;
import dev.floe.controller.invoke.Admission;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.Placements;
import dev.floe.controller.lambdaapi.ConnectionLimits;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.worker.Worker;
import dev.floe.worker.environment.KeepAlivePolicy;
import dev.floe.worker.sandbox.Sandbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code floe up}, {@code floe controller} and {@code floe worker}: run in the foreground until
 * SIGINT or SIGTERM, then stop in order (workers retire every environment first).
 */
final class ServerCommands {
    private ServerCommands() {}

    /** {@code floe up}, {@code floe controller} and {@code floe worker}: their help and options. */
    static List<FloeCommand> commands() {
        return List.of(
                FloeCommand.named("up").section(FloeCommand.Section.FLEET)
                        .synopsis("up [--workers N] [--port P] [--host H] [--data DIR] [--worker-memory MB]")
                        .summary("a controller and N workers in this process until SIGINT/SIGTERM; on exit every environment is gone")
                        .options(Cli.connectionOptions(workerTuning(controllerTuning(new Args.Spec()
                                .value("workers", "N", "workers, 1..64 (default 2)")
                                .value("port", "P", "the controller's gRPC port (default 7070; 0 for a free one)")
                                .value("host", "H", "the address to listen on (default 127.0.0.1)")
                                .value("data", "DIR", "where functions, code and environments are kept (default ~/.floe)")
                                .value("worker-memory", "MB", "each worker's memory for environments (default: up to 4096, all"
                                        + " workers within 80% of the machine)")))
                                .value("metrics-port", "P", "Prometheus metrics and /healthz over HTTP on P, workers on P+1, P+2..."
                                        + " (0: free ports; default none)")
                                .value("metrics-host", "H", "the metrics endpoints' address (default 127.0.0.1)")
                                .value("log-format", "F", "text (default) or json: one JSON object per line with time, level, logger,"
                                        + " message and the ids in play")))
                        .runs(ServerCommands::up).build(),
                FloeCommand.named("controller").section(FloeCommand.Section.FLEET)
                        .synopsis("controller [--port P] [--host H] [--data DIR] [--heartbeat-timeout MS] [--etcd URL[,URL...]]")
                        .summary("a controller alone, for workers on other machines, until SIGINT/SIGTERM")
                        .options(Cli.connectionOptions(controllerTuning(new Args.Spec()
                                .value("port", "P", "the gRPC port (default 7070; 0 for a free one)")
                                .value("host", "H", "the address to listen on (default 0.0.0.0)")
                                .value("data", "DIR", "where functions and code are kept (default ~/.floe/controller)")
                                .value("heartbeat-timeout", "MS", "a worker silent for MS leaves the fleet, 100..600000 (default 5000)")
                                .value("etcd", "URL[,URL...]", "join the cluster of controllers sharing this etcd (e.g. http://10.0.0.5:2379);"
                                        + " default none: a single controller on SQLite in DIR")
                                .value("etcd-prefix", "PREFIX", "the cluster's keys in etcd (default /floe/)")
                                .value("lease", "S", "with --etcd: seconds until a dead controller's functions move to the others, 2..300 (default 5)")
                                .value("id", "NAME", "with --etcd: this controller's name in the cluster (default: a random one)")
                                .value("advertise", "HOST", "with --etcd: the address workers and other controllers reach this one at"
                                        + " (default: --host, or this machine's address when it is 0.0.0.0)"))
                                .value("metrics-port", "P", "Prometheus metrics and /healthz over HTTP on P (0: a free port; default none)")
                                .value("metrics-host", "H", "the metrics endpoint's address (default 127.0.0.1)")
                                .value("log-format", "F", "text (default) or json: one JSON object per line with time, level, logger,"
                                        + " message and the ids in play")))
                        .runs(ServerCommands::controller).build(),
                FloeCommand.named("worker").section(FloeCommand.Section.FLEET)
                        .synopsis("worker --controller HOST:PORT[,HOST:PORT...] [--id ID] [--memory MB] [--data DIR] [--port P] [--listen HOST]"
                                + " [--advertise HOST] [--cleanup]")
                        .summary("a worker alone, for another machine, until SIGINT/SIGTERM; it retires every environment on exit")
                        .options(Cli.connectionOptions(workerTuning(new Args.Spec()
                                .value("controller", "HOST:PORT[,...]", "a controller's address (required); in a cluster of controllers"
                                        + " one is enough: the worker learns and links to every member, following joins and departures")
                                .value("id", "ID", "the worker's id (default: with TLS its certificate's name, floe tls issue --name;"
                                        + " else the host name and a random suffix kept in DIR)")
                                .value("memory", "MB", "memory for environments (default: 80% of the machine)")
                                .value("data", "DIR", "where code, runtimes and environments are kept (default ~/.floe/worker)")
                                .value("port", "P", "the port the controller calls (default: a free one)")
                                .value("listen", "HOST", "the address to listen on (default: the one facing the controller)")
                                .value("advertise", "HOST", "the address the controller calls (default: the one facing it)")
                                .flag("cleanup", "remove what workers no longer running on this machine left (processes, cgroups,"
                                        + " loop devices, environments' files), whatever their ids and data directories, and exit;"
                                        + " running workers' are untouched (a worker does this when it starts)"))
                                .value("metrics-port", "P", "Prometheus metrics and /healthz over HTTP on P (0: a free port; default none)")
                                .value("metrics-host", "H", "the metrics endpoint's address (default 127.0.0.1)")
                                .value("log-format", "F", "text (default) or json: one JSON object per line with time, level, logger,"
                                        + " message and the ids in play")))
                        .runs(ServerCommands::worker).build());
    }

    static int up(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        logFormat(args);
        int workers = args.integer("workers", 1, 64, 2);
        tune(Worker.builder(), args); // checks the worker options before anything starts
        Path data = dataDir(args, cli, "");
        LocalFleet.Builder fleetBuilder = LocalFleet.builder();
        HostPort metrics = metrics(args);
        if (metrics != null && metrics.port() > 0 && metrics.port() + workers > 65_535) {
            throw new UsageException("--metrics-port: " + metrics.port() + " (expected: at most " + (65_535 - workers)
                    + ": worker N serves on the port + N; or 0 for free ports)");
        }
        if (metrics != null) {
            fleetBuilder.metricsHost(metrics.host()).metricsPort(metrics.port());
        }
        ClusterTls tls = serverTls(args, cli, args.value("host", "127.0.0.1"));
        if (tls != null) {
            fleetBuilder.tls(tls);
        }
        if (args.has("lambda-port")) {
            fleetBuilder.lambdaPort(args.integer("lambda-port", 0, 65_535, null));
        }
        LocalFleet fleet = fleetBuilder
                .lambdaCredentials(lambdaCredentials(args, cli))
                .token(cli.tokenOrCreate(args))
                .workers(workers)
                .port(args.integer("port", 0, 65_535, 7070))
                .host(args.value("host", "127.0.0.1"))
                .dataDir(data)
                .workerMemoryMb(args.integer("worker-memory", 128, 16 * 1024 * 1024, defaultWorkerMemoryMb(workers)))
                .sandbox(sandbox(args))
                .placement(placement(args))
                .workerTuning(b -> tune(b, args))
                .controllerTuning(b -> tuneController(b, args).asyncRetryPolicy(asyncPolicy(args)))
                .start();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("floe-shutdown").unstarted(() -> {
            cli.err().println("floe: stopping: retiring every environment");
            fleet.close();
        }));
        fleet.awaitRegistered(Duration.ofSeconds(30));
        Sandbox.Info sandbox = fleet.workers().getFirst().sandbox();
        cli.out().println("Floe is up: controller on " + args.value("host", "127.0.0.1") + ":" + fleet.controller().port()
                + ", " + workers + " worker" + (workers == 1 ? "" : "s") + " (freezer " + sandbox.freezer()
                + ", memory limit " + sandbox.memoryLimit() + ", /tmp " + sandbox.tmp() + ", launcher " + sandbox.launcher()
                + "), data in " + data);
        cli.out().println(lambdaNote(args, cli, args.value("host", "127.0.0.1"), fleet.controller(), tls));
        if (metrics != null) {
            List<String> endpoints = new java.util.ArrayList<>();
            fleet.controller().metricsAddress().ifPresent(a -> endpoints.add(metricsUrl(a) + " (controller)"));
            for (Worker worker : fleet.workers()) {
                worker.metricsAddress().ifPresent(a -> endpoints.add(metricsUrl(a) + " (" + worker.id() + ")"));
            }
            cli.out().println(metricsNote(endpoints));
        }
        fleet.controller().webAddress().ifPresent(a -> cli.out().println(webNote(a, data.resolve("controller"))));
        cli.out().println(tokenNote(cli));
        if (tls != null) {
            cli.out().println(tlsNote(args, tls));
        }
        cli.out().println("Ctrl-C stops the fleet and every environment in it.");
        Thread.currentThread().join();
        return 0;
    }

    static int controller(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        logFormat(args);
        Path data = dataDir(args, cli, "controller");
        Controller.Builder builder = Controller.builder()
                .port(args.integer("port", 0, 65_535, 7070))
                .bindHost(args.value("host", "0.0.0.0"))
                .dataDir(data)
                .heartbeatTimeout(Duration.ofMillis(args.integer("heartbeat-timeout", 100, 600_000, 5_000)))
                .placement(placement(args))
                .token(cli.tokenOrCreate(args))
                .asyncRetryPolicy(asyncPolicy(args))
                .lambdaCredentials(lambdaCredentials(args, cli));
        if (args.has("lambda-port")) {
            builder.lambdaPort(args.integer("lambda-port", 0, 65_535, null));
        }
        HostPort metrics = metrics(args);
        if (metrics != null) {
            builder.metrics(metrics);
        }
        if (args.has("etcd")) {
            try {
                builder.etcd(java.util.Arrays.stream(args.value("etcd", "").split(",")).map(String::strip)
                        .filter(u -> !u.isEmpty()).map(java.net.URI::create).toList());
                builder.lease(Duration.ofSeconds(args.integer("lease", 2, 300, 5)));
                if (args.has("etcd-prefix")) {
                    builder.etcdPrefix(args.value("etcd-prefix", null));
                }
                if (args.has("id")) {
                    builder.memberId(args.value("id", null));
                }
                if (args.has("advertise")) {
                    builder.advertiseHost(args.value("advertise", null));
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException("--etcd: " + e.getMessage());
            }
        } else {
            for (String clusterOnly : List.of("etcd-prefix", "lease", "id", "advertise")) {
                if (args.has(clusterOnly)) {
                    throw new UsageException("--" + clusterOnly + ": only with --etcd (expected: --etcd URL[,URL...] too)");
                }
            }
        }
        ClusterTls tls = serverTls(args, cli, args.value("host", "0.0.0.0"));
        if (tls != null) {
            builder.tls(tls);
        }
        Controller controller = tuneController(builder, args).build().start();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("floe-shutdown").unstarted(controller::close));
        cli.out().println("Floe controller on " + args.value("host", "0.0.0.0") + ":" + controller.port()
                + (args.has("etcd") ? " (in the cluster of controllers sharing etcd " + args.value("etcd", "") + ")" : ""));
        cli.out().println(lambdaNote(args, cli, args.value("host", "0.0.0.0"), controller, tls));
        controller.metricsAddress().ifPresent(a -> cli.out().println(metricsNote(List.of(metricsUrl(a)))));
        controller.webAddress().ifPresent(a -> cli.out().println(webNote(a, data)));
        cli.out().println(tokenNote(cli));
        if (tls != null) {
            cli.out().println(tlsNote(args, tls));
        }
        Thread.currentThread().join();
        return 0;
    }

    static int worker(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        if (args.flag("cleanup")) {
            int removed = Sandbox.removeLeftoversOfDeadWorkers();
            cli.out().println("removed " + removed + " environment" + (removed == 1 ? "" : "s")
                    + " of workers no longer running on this machine");
            return 0;
        }
        logFormat(args);
        List<HostPort> controllers;
        try {
            controllers = java.util.Arrays.stream(args.required("controller", "HOST:PORT[,HOST:PORT...] (the controllers' addresses)")
                    .split(",")).map(String::strip).filter(a -> !a.isEmpty()).map(HostPort::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--controller: " + e.getMessage());
        }
        if (controllers.isEmpty()) {
            throw new UsageException("--controller: empty (expected: HOST:PORT[,HOST:PORT...])");
        }
        Worker.Builder builder = Worker.builder()
                .controllers(controllers)
                .token(cli.requireToken(args))
                .dataDir(dataDir(args, cli, "worker"))
                .port(args.integer("port", 0, 65_535, 0))
                .sandbox(sandbox(args));
        if (args.has("listen")) {
            builder.listenHost(args.value("listen", null));
        }
        if (args.has("id")) {
            builder.id(args.value("id", null));
        }
        if (args.has("memory")) {
            builder.memoryMb(args.integer("memory", 128, 16 * 1024 * 1024, null));
        }
        if (args.has("advertise")) {
            builder.advertiseHost(args.value("advertise", null));
        }
        HostPort metrics = metrics(args);
        if (metrics != null) {
            builder.metrics(metrics);
        }
        Optional<ClusterTls> tls = TlsFlags.resolve(args, cli);
        if (tls.isPresent()) {
            if (!tls.get().hasCertificate()) {
                throw new UsageException("--tls: " + tls.get() + " has no certificate (expected: the worker's cert.pem and key.pem,"
                        + " which floe tls issue --name WORKER --hosts ADDRESS makes)");
            }
            builder.tls(tls.get());
        }
        Worker worker = tune(builder, args).build().start();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("floe-shutdown").unstarted(worker::close));
        JsonLogFormatter.processWorker(worker.id());
        cli.out().println("Floe worker " + worker.id() + " on " + worker.address() + ", controller" + (controllers.size() > 1 ? "s " : " ") + controllers.stream().map(HostPort::toString).collect(java.util.stream.Collectors.joining(",")));
        worker.metricsAddress().ifPresent(a -> cli.out().println(metricsNote(List.of(metricsUrl(a)))));
        Thread.currentThread().join();
        return 0;
    }

    /**
     * What {@code up} and {@code controller} share: admission limits, the Lambda API's port,
     * credentials and connection limits, the asynchronous queue's retries, and placement.
     */
    private static Args.Spec controllerTuning(Args.Spec spec) {
        return spec
                .value("concurrency", "N", "invocations running at once, fleet-wide (default 1000)")
                .value("queue", "N", "invocations waiting for a slot (default 10000)")
                .value("queue-wait", "MS", "how long one waits for a slot or for room before TooManyRequestsException (default 1000)")
                .value("placement", "P", "floe (default), random, least-loaded, openwhisk-hash, warm-first or hermod")
                .value("async-retries", "N", "retries of a failed asynchronous invocation, 0..2 (default 2, as Lambda)")
                .value("async-retry-delay", "S", "seconds before the first retry, 1..3600 (default 60, as Lambda)")
                .value("async-max-age", "S", "an event older than S seconds is dead-lettered, 60..21600 (default 21600)")
                .value("lambda-port", "P", "Lambda's HTTP API, for the AWS SDKs and CLI (default: the gRPC port + 1; 0 for a free one)")
                .value("lambda-credentials", "FILE", "lines of ACCESS_KEY_ID SECRET: require SigV4 signed with those keys;"
                        + " none: take any request, signed or not (default: a key made in ~/.floe/lambda-credentials and written"
                        + " as the AWS profile floe)")
                .value("lambda-idle-timeout", "S", "close an HTTP connection with no request after S seconds (default 60)")
                .value("lambda-read-timeout", "S", "408 for a request not whole within S seconds (default 30)")
                .value("lambda-max-connections", "N", "HTTP connections open at most (default 2000)")
                .value("lambda-max-connections-per-address", "N", "HTTP connections open at most from one client address"
                        + " (default a quarter of --lambda-max-connections)")
                .value("web-port", "P", "the web view of the fleet over HTTP on P, opened with the cluster token or the read-only"
                        + " one in DATA/web-token (0: a free port; default none)")
                .value("web-host", "H", "the web view's address (default 127.0.0.1)");
    }

    private static Controller.Builder tuneController(Controller.Builder builder, Args args) {
        ConnectionLimits connections = ConnectionLimits.DEFAULT;
        ConnectionLimits limits = new ConnectionLimits(
                Duration.ofSeconds(args.integer("lambda-idle-timeout", 1, 86_400, (int) connections.idleTimeout().toSeconds())),
                Duration.ofSeconds(args.integer("lambda-read-timeout", 1, 3_600, (int) connections.readTimeout().toSeconds())),
                args.integer("lambda-max-connections", 1, 1_000_000, connections.maxConnections()));
        if (args.has("lambda-max-connections-per-address")) {
            limits = limits.withMaxConnectionsPerAddress(args.integer("lambda-max-connections-per-address", 1,
                    limits.maxConnections(), null));
        }
        builder.lambdaConnections(limits);
        if (args.has("web-port")) {
            String host = args.value("web-host", "127.0.0.1");
            if (host.isBlank()) {
                throw new UsageException("--web-host: empty (expected: an address of this machine, e.g. 127.0.0.1 or 0.0.0.0)");
            }
            builder.web(new HostPort(host, args.integer("web-port", 0, 65_535, null)));
        } else if (args.has("web-host")) {
            throw new UsageException("--web-host: given without --web-port (expected: --web-port P too, 0 for a free port)");
        }
        Admission.Limits defaults = Admission.Limits.DEFAULT;
        return builder.admission(new Admission.Limits(
                args.integer("concurrency", 1, 1_000_000, defaults.concurrency()),
                args.integer("queue", 0, 1_000_000, defaults.queueCapacity()),
                Duration.ofMillis(args.integer("queue-wait", 0, 900_000, (int) defaults.maxWait().toMillis()))));
    }

    /**
     * --lambda-credentials FILE (keys an operator wrote), or {@code none} (any request, signed or not);
     * by default the user's own key in {@code ~/.floe/lambda-credentials}, made on the first start
     * (0600), which {@link #lambdaNote} also writes as the AWS profile {@value AwsProfile#NAME}.
     */
    private static LambdaCredentials lambdaCredentials(Args args, Cli cli) {
        String given = args.value("lambda-credentials", null);
        if (NO_CREDENTIALS.equals(given)) {
            return LambdaCredentials.anyone();
        }
        Path file = given == null ? defaultLambdaCredentials(cli) : Path.of(given);
        try {
            return given == null ? LambdaCredentials.readOrCreate(file) : LambdaCredentials.read(file);
        } catch (java.io.IOException e) {
            throw new UsageException("--lambda-credentials: cannot read " + file + " (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new UsageException("--lambda-credentials: " + e.getMessage());
        }
    }

    /** {@code --lambda-credentials none}: the Lambda API takes any request. */
    static final String NO_CREDENTIALS = "none";

    static Path defaultLambdaCredentials(Cli cli) {
        return cli.defaultTokenFile().resolveSibling(Controller.LAMBDA_CREDENTIALS_FILE);
    }

    /**
     * Where the AWS SDKs and CLI reach the Lambda API, how they trust it (with TLS: the cluster's CA), and
     * how they sign: with the default key, written first as the AWS profile floe; with --lambda-credentials,
     * a key from that file; with none, anything.
     */
    private static String lambdaNote(Args args, Cli cli, String host, Controller controller, ClusterTls tls) throws java.io.IOException {
        String shown = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        String scheme = controller.lambdaScheme();
        String endpoint = scheme + "://" + shown + ":" + controller.lambdaPort();
        String caBundle = tls != null ? " --ca-bundle " + tls.source() : "";
        String listen = "Lambda API on " + scheme + "://" + host + ":" + controller.lambdaPort();
        if (!controller.lambdaCredentials().required()) {
            return listen + " (e.g. aws lambda list-functions --endpoint-url " + endpoint + caBundle + "); any request is"
                    + " accepted, signed or not: a function's code can read and change every function (--lambda-credentials none)";
        }
        if (args.has("lambda-credentials")) {
            return listen + " (e.g. aws lambda list-functions --endpoint-url " + endpoint + caBundle + "); requests must be"
                    + " signed with a key from " + args.value("lambda-credentials", null);
        }
        Path home = Path.of(cli.env().getOrDefault("HOME", "."));
        Path ca = tls != null ? Path.of(tls.source()) : null;
        AwsProfile.write(home, controller.lambdaCredentials().first().orElseThrow(), java.net.URI.create(endpoint), ca);
        return listen + " (e.g. aws lambda list-functions --profile " + AwsProfile.NAME + " --endpoint-url " + endpoint
                + "); requests must be signed with the key in " + defaultLambdaCredentials(cli) + ", which the AWS profile "
                + AwsProfile.NAME + " in " + home.resolve(".aws") + " has (AWS_PROFILE=" + AwsProfile.NAME + " for the SDKs)";
    }

    /**
     * --metrics-port P (0: a free port) and --metrics-host H (default 127.0.0.1, since the meters name
     * functions); null without --metrics-port: no endpoint, as before.
     */
    private static HostPort metrics(Args args) {
        if (!args.has("metrics-port")) {
            if (args.has("metrics-host")) {
                throw new UsageException("--metrics-host: given without --metrics-port (expected: --metrics-port P too, 0 for a free port)");
            }
            return null;
        }
        int port = args.integer("metrics-port", 0, 65_535, null);
        String host = args.value("metrics-host", "127.0.0.1");
        if (host.isBlank()) {
            throw new UsageException("--metrics-host: empty (expected: an address of this machine, e.g. 127.0.0.1 or 0.0.0.0)");
        }
        return new HostPort(host, port);
    }

    /** --log-format: text (the default) or json, which {@link Floe#main} has already set up from the raw arguments. */
    static String logFormat(Args args) {
        String format = args.value("log-format", "text");
        if (!format.equals("text") && !format.equals("json")) {
            throw new UsageException("--log-format: " + format + " (expected: text or json)");
        }
        return format;
    }

    /** Where a browser opens the web view, and with what: never the token itself, which must not end up in a log. */
    private static String webNote(HostPort address, Path controllerData) {
        return "Web view on http://" + address + "/ (open it once with ?token=TOKEN: the cluster token, or the read-only one in "
                + controllerData.resolve(Controller.WEB_TOKEN_FILE) + ")";
    }

    private static String metricsUrl(HostPort address) {
        return "http://" + address + "/metrics";
    }

    /** Where Prometheus scrapes, as the Lambda API's address is shown. */
    private static String metricsNote(List<String> endpoints) {
        return "Metrics (Prometheus text) on " + String.join(", ", endpoints) + "; /healthz beside " + (endpoints.size() == 1 ? "it" : "each");
    }

    /**
     * The TLS files of {@code up} or {@code controller}; with {@code --tls}, the local directory,
     * made on first use with a CA and a certificate for this machine's name, loopback and {@code host}.
     */
    private static ClusterTls serverTls(Args args, Cli cli, String host) throws java.io.IOException {
        if (args.has("tls") && !args.has("tls-ca") && !args.has("tls-cert") && !args.has("tls-key")) {
            List<String> hosts = new java.util.ArrayList<>(List.of(localHostName()));
            if (!host.equals("0.0.0.0") && !host.equals("::")) {
                hosts.add(host);
            }
            return CertificateAuthority.initialize(TlsFlags.localDirectory(cli), "local", hosts);
        }
        Optional<ClusterTls> tls = TlsFlags.resolve(args, cli);
        if (tls.isPresent() && !tls.get().hasCertificate()) {
            throw new UsageException("TLS: " + tls.get() + " has no certificate (expected: cert.pem and key.pem for the controller"
                    + " to present, which floe tls init makes)");
        }
        return tls.orElse(null);
    }

    private static String localHostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** What workers and clients need to connect over TLS. */
    private static String tlsNote(Args args, ClusterTls tls) {
        return "TLS: CA " + tls.source() + " (clients need a copy: " + (args.has("tls") ? "--tls on this machine, " : "")
                + "--tls-ca FILE or --tls-dir DIR; workers need a certificate from floe tls issue)";
    }

    /** Where workers and clients find the token, without printing it. */
    private static String tokenNote(Cli cli) {
        String where = cli.tokenSource();
        return "Cluster token: " + where + (where.equals(cli.defaultTokenFile().toString())
                ? " (commands of this user on this machine read it by default; elsewhere, give them a copy with --token-file FILE)"
                : " (give workers and clients --token-file FILE or $FLOE_TOKEN)");
    }

    /** What {@code up} and {@code worker} share: keep-alive, freezing and the sandbox. */
    private static Args.Spec workerTuning(Args.Spec spec) {
        return spec
                .value("idle-timeout", "S", "retire an environment idle for S seconds (same as --keep-alive fixed:Ss)")
                .value("keep-alive", "POLICY", "fixed[:10m] (default) or greedy-dual[:10m]: how long idle environments are kept")
                .value("freeze-grace", "MS", "freeze an environment MS after its invocation ends, 0..60000 (default 20)")
                .value("freezer", "F", "auto (default), cgroup2, cgroup1 or signal: how environments are frozen")
                .value("tmp", "T", "auto (default), disk, tmpfs or tmpdir: what backs each environment's /tmp")
                .value("launcher", "L", "auto (default), native or script: what starts an environment")
                .repeated("writable", "DIR", "a directory of this machine every function may write at its own path (default none:"
                        + " as in Lambda, only /tmp; the rest of the machine is read-only to functions)");
    }

    private static Worker.Builder tune(Worker.Builder builder, Args args) {
        if (args.has("idle-timeout")) {
            builder.idleTimeout(Duration.ofSeconds(args.integer("idle-timeout", 1, 7 * 24 * 3600, null)));
        }
        if (args.has("keep-alive")) {
            if (args.has("idle-timeout")) {
                throw new UsageException("--keep-alive and --idle-timeout: both given (expected: one of them;"
                        + " --idle-timeout S is --keep-alive fixed:Ss)");
            }
            KeepAlivePolicy policy;
            try {
                policy = KeepAlivePolicy.parse(args.value("keep-alive", null));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + e.getMessage());
            }
            if (policy.fleetWide()) {
                // Its prewarming needs the fleet's arrivals, which a worker does not see yet (issue 16).
                throw new UsageException("--keep-alive: \"" + args.value("keep-alive", null) + "\" runs only in floe simulate"
                        + " for now (expected on a worker: fixed[:DURATION] or greedy-dual[:DURATION])");
            }
            builder.keepAlive(policy);
        }
        if (args.has("freeze-grace")) {
            builder.freezeGrace(Duration.ofMillis(args.integer("freeze-grace", 0, 60_000, null)));
        }
        return builder;
    }

    /** --placement NAME, default Floe's. */
    static Placement placement(Args args) {
        try {
            return Placements.named(args.value("placement", "floe"), System.nanoTime());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
    }

    private static Sandbox.Options sandbox(Args args) {
        Sandbox.FreezerChoice freezer = choice(args, "freezer", Sandbox.FreezerChoice.class, Sandbox.FreezerChoice.AUTO);
        Sandbox.TmpChoice tmp = choice(args, "tmp", Sandbox.TmpChoice.class, Sandbox.TmpChoice.AUTO);
        Sandbox.LauncherChoice launcher = choice(args, "launcher", Sandbox.LauncherChoice.class, Sandbox.LauncherChoice.AUTO);
        Sandbox.Options defaults = Sandbox.Options.defaults();
        List<java.nio.file.Path> writable = args.all("writable").stream().map(d -> java.nio.file.Path.of(d).toAbsolutePath()).toList();
        return new Sandbox.Options(freezer, tmp, defaults.memoryLimits(), defaults.pidsMax(), launcher, writable);
    }

    private static <E extends Enum<E>> E choice(Args args, String name, Class<E> type, E fallback) {
        String value = args.value(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
            throw new UsageException("--" + name + ": \"" + value + "\" (expected one of: " + String.join(", ", allowed) + ")");
        }
    }

    /**
     * --async-retries (0..2, default 2) and --async-max-age (seconds, 60..21600, default 6 h), as Lambda's settings;
     * --async-retry-delay (seconds before the first retry, 1..3600, default 60 as Lambda) for test fleets that
     * cannot wait a minute, such as the chaos harness's.
     */
    static dev.floe.controller.async.RetryPolicy asyncPolicy(Args args) {
        dev.floe.controller.async.RetryPolicy d = dev.floe.controller.async.RetryPolicy.LAMBDA_DEFAULT;
        return new dev.floe.controller.async.RetryPolicy(args.integer("async-retries", 0, 2, d.retries()),
                Duration.ofSeconds(args.integer("async-retry-delay", 1, 3_600, (int) d.retryDelay().toSeconds())),
                d.throttleDelay(), d.maxThrottleDelay(),
                Duration.ofSeconds(args.integer("async-max-age", 60, 21_600, (int) d.maxEventAge().toSeconds())));
    }

    /** --data, else ~/.floe (and a subdirectory for a lone controller or worker). */
    private static Path dataDir(Args args, Cli cli, String sub) {
        if (args.has("data")) {
            return Path.of(args.value("data", null)).toAbsolutePath();
        }
        Path base = Path.of(cli.env().getOrDefault("HOME", "."), ".floe");
        return sub.isEmpty() ? base : base.resolve(sub);
    }

    /** Up to 4 GB per worker, and all of them together within 80% of the machine. */
    private static int defaultWorkerMemoryMb(int workers) {
        long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize() / (1024 * 1024);
        return (int) Math.max(128, Math.min(4096, total * 8 / 10 / workers));
    }
}
