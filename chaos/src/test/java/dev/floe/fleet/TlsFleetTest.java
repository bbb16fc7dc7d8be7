package dev.floe.fleet;

import dev.floe.launcher.Floe;
import dev.floe.launcher.LocalFleet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.FloeClient;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.Controller;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokerGrpc;
import dev.floe.testing.Registrations;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fleet whose gRPC runs over TLS, mutual between the controller and its worker: functions run as
 * before, and whoever lacks the cluster's CA or a certificate it signed is turned away, with words
 * that say which flag is missing.
 */
class TlsFleetTest {
    private static Path data;
    private static Path clusterDir;
    private static Path strangerDir;
    private static LocalFleet fleet;
    private static FloeClient client;

    @BeforeAll
    static void start() throws Exception {
        data = TestDirs.create("tls-fleet");
        clusterDir = data.resolve("cluster");
        CertificateAuthority.create(clusterDir).issue("node", CertificateRole.CONTROLLER, List.of("127.0.0.1"), clusterDir);
        strangerDir = data.resolve("stranger");
        CertificateAuthority.create(strangerDir).issue("node", CertificateRole.CONTROLLER, List.of("127.0.0.1"), strangerDir);
        fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(1024)
                .tls(ClusterTls.fromDirectory(clusterDir)).start().awaitRegistered(Duration.ofSeconds(30));
        client = fleet.client();
        client.createFunction("probe", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("probe.handler").build());
    }

    @AfterAll
    static void stop() {
        Lifecycles.closeQuietly(client);
        Lifecycles.closeQuietly(fleet);
        if (data != null) {
            Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
            TestDirs.delete(data);
        }
    }

    @Test
    void aFunctionRunsColdThenWarmOverMutualTls() {
        InvokeResponse first = client.invoke("probe", "{}".getBytes(StandardCharsets.UTF_8), false);
        InvokeResponse second = client.invoke("probe", "{}".getBytes(StandardCharsets.UTF_8), false);
        assertEquals("", first.getFunctionError(), first.getPayload().toStringUtf8());
        assertEquals(first.getEnvironmentId(), second.getEnvironmentId());
        assertFalse(second.getCold());
        // As under floe up --tls, the worker presents the controller's own certificate (named "node"), under an id of its own.
        assertEquals("worker-1", first.getWorkerId());
        assertEquals("node", fleet.tls().orElseThrow().name());

        // A client with the CA alone (no certificate of its own) is a client like any other.
        FleetFixture.Result cli = floe("invoke", "probe", "--json", "--tls-ca", clusterDir.resolve("ca.pem").toString());
        assertEquals(0, cli.status(), cli.err());
        assertTrue(cli.out().contains("\"environmentId\":\"" + first.getEnvironmentId() + "\""), cli.out());
    }

    @Test
    void aClientWithAnotherCaIsToldTheControllersCertificateIsNotTrusted() {
        FleetFixture.Result refused = floe("fn", "ls", "--tls-dir", strangerDir.toString());
        assertEquals(1, refused.status(), refused.out());
        assertEquals("floe: the certificate of " + fleet.endpoint() + " is not trusted: it is not signed by the CA in "
                + strangerDir.resolve("ca.pem") + " (expected: --tls-ca FILE or --tls-dir DIR with the cluster's ca.pem,"
                + " the one floe tls init made)\n", refused.err());
    }

    @Test
    void aPlaintextClientIsToldTheControllerSpeaksTls() {
        FleetFixture.Result refused = floe("fn", "ls");
        assertEquals(1, refused.status(), refused.out());
        assertEquals("floe: " + fleet.endpoint() + " speaks TLS and this command spoke plaintext (expected: --tls-ca FILE or"
                + " --tls-dir DIR with the cluster's ca.pem; --tls for the local fleet of floe up --tls)\n", refused.err());
    }

    @Test
    void aCertificateForAnotherAddressIsRefusedByName() throws Exception {
        Path elsewhere = data.resolve("elsewhere");
        CertificateAuthority.open(clusterDir).issue("elsewhere", CertificateRole.CONTROLLER, List.of("10.9.9.9", "elsewhere.example"), elsewhere);
        try (Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("elsewhere-data"))
                .token(fleet.controller().token()).tls(ClusterTls.fromDirectory(elsewhere)).build().start()) {
            FleetFixture.Result refused = floe(new HostPort("127.0.0.1", controller.port()), "fn", "ls",
                    "--tls-ca", clusterDir.resolve("ca.pem").toString());
            assertEquals(1, refused.status(), refused.out());
            assertEquals("floe: the certificate of 127.0.0.1:" + controller.port() + " does not name 127.0.0.1 (expected: one issued"
                    + " for the address dialled: floe tls issue --hosts 127.0.0.1, or dial a name it has)\n", refused.err());
        }
    }

    @Test
    void aServerWhoseCertificateExpiredWhileRunningIsSaidToHaveExpired() throws Exception {
        // A node refuses an expired certificate at start; one that expires while it runs is still presented.
        Path stale = data.resolve("stale");
        dev.floe.common.tls.TestCertificates.issueExpired(CertificateAuthority.open(clusterDir), "stale", CertificateRole.CONTROLLER,
                List.of("127.0.0.1"), stale);
        io.grpc.Server server = io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
                .sslContext(io.grpc.netty.GrpcSslContexts.forServer(stale.resolve("cert.pem").toFile(), stale.resolve("key.pem").toFile())
                        .build())
                .build().start();
        try {
            FleetFixture.Result refused = floe(new HostPort("127.0.0.1", server.getPort()), "fn", "ls",
                    "--tls-ca", clusterDir.resolve("ca.pem").toString());
            assertEquals(1, refused.status(), refused.out());
            assertEquals("floe: the certificate of 127.0.0.1:" + server.getPort() + " has expired (expected: the server restarted"
                    + " with a certificate valid now: floe tls issue makes a new one under the same CA)\n", refused.err());
        } finally {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWorkerWithACertificateFromAnotherCaCannotRegister() throws Exception {
        Worker rogue = Worker.builder().id("rogue").controller(fleet.endpoint()).token(fleet.controller().token())
                .listenHost("127.0.0.1").memoryMb(512).dataDir(data.resolve("rogue")).tls(ClusterTls.fromDirectory(strangerDir))
                .build();
        try (LogCapture lost = new LogCapture("worker rogue lost the controller")) {
            rogue.start();
            Await.until(Duration.ofSeconds(30), "the rogue worker's second attempt to connect", () -> lost.messages().size() >= 2);
            assertFalse(rogue.registered());
            assertEquals(List.of("worker-1"), client.workers().stream().map(w -> w.getId()).toList());
            assertTrue(lost.messages().getFirst().contains("lost the controller (the TLS handshake failed: "), lost.messages().getFirst());
        } finally {
            rogue.close();
        }
    }

    @Test
    void aWorkerRegistersOnlyUnderTheNameItsCertificateWasIssuedFor() throws Exception {
        // A controller with a certificate of its own, as floe tls init makes one: no worker shares it.
        Path ctl = data.resolve("bound-ctl");
        Path w1 = data.resolve("bound-w1");
        CertificateAuthority ca = CertificateAuthority.open(clusterDir);
        ca.issue("ctl", CertificateRole.CONTROLLER, List.of("127.0.0.1"), ctl);
        ca.issue("w1", CertificateRole.WORKER, List.of("127.0.0.1"), w1);
        try (Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("bound-data"))
                        .token(fleet.controller().token()).tls(ClusterTls.fromDirectory(ctl)).build().start();
                FloeClient bound = FloeClient.connect(new HostPort("127.0.0.1", controller.port()), controller.token(),
                        ClusterTls.fromFiles(clusterDir.resolve("ca.pem"), null, null));
                LogCapture refused = new LogCapture("worker w2 lost the controller")) {
            // w1's certificate and key, registering as w2 to receive w2's invocations.
            Worker impostor = worker(controller, "impostor", ClusterTls.fromDirectory(w1)).id("w2").build();
            Worker genuine = worker(controller, "genuine", ClusterTls.fromDirectory(w1)).build();
            try {
                impostor.start();
                Await.until(Duration.ofSeconds(30), "the controller's refusal of w2", () -> !refused.messages().isEmpty());
                assertTrue(refused.messages().getFirst().startsWith("worker w2 lost the controller (the controller refused this worker,"
                        + " UnrecognizedClientException: worker id \"w2\" does not match its certificate's name \"w1\" (expected: floe"
                        + " worker --id w1, or a certificate made for w2 by floe tls issue --name w2)); retrying in "),
                        refused.messages().getFirst());
                assertFalse(impostor.registered());
                assertEquals(List.of(), bound.workers());

                // The same certificate with no id given: the worker takes the certificate's name, and serves.
                assertEquals("w1", genuine.id());
                genuine.start();
                // Registered reaches the worker just before the controller's view takes it in: wait for the view.
                Await.until(Duration.ofSeconds(30), "w1 in the fleet view", () -> !bound.workers().isEmpty());
                bound.createFunction("probe", ProbeFunction.zip(), FunctionConfig.newBuilder().setRuntime("provided")
                        .setHandler("probe.handler").build());
                InvokeResponse served = bound.invoke("probe", "{}".getBytes(StandardCharsets.UTF_8), false);
                assertEquals("", served.getFunctionError(), served.getPayload().toStringUtf8());
                assertEquals("w1", served.getWorkerId());
                // The impostor keeps trying (backing off up to 5 s) and never enters the view.
                int attempts = refused.messages().size();
                Await.until(Duration.ofSeconds(30), "w2's next attempt", () -> refused.messages().size() > attempts);
                assertFalse(impostor.registered());
                assertEquals(List.of("w1"), bound.workers().stream().map(w -> w.getId()).toList());
            } finally {
                impostor.close();
                genuine.close();
            }
        }
    }

    private static Worker.Builder worker(Controller controller, String dir, ClusterTls tls) {
        return Worker.builder().controller(new HostPort("127.0.0.1", controller.port())).token(controller.token())
                .listenHost("127.0.0.1").memoryMb(512).dataDir(data.resolve(dir)).tls(tls);
    }

    /** The worker link's log lines that start with a prefix, as an operator reads them, while open. */
    private static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger log = Logger.getLogger(dev.floe.worker.link.ControllerLink.class.getName());
        private final Level before = log.getLevel();
        private final String prefix;
        private final List<String> messages = new CopyOnWriteArrayList<>();

        LogCapture(String prefix) {
            this.prefix = prefix;
            log.setLevel(Level.ALL);
            log.addHandler(this);
        }

        List<String> messages() {
            return messages;
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getMessage().startsWith(prefix)) {
                messages.add(record.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            log.removeHandler(this);
            log.setLevel(before);
        }
    }

    @Test
    void aStolenTokenWithoutACertificateCannotJoinTheFleet() throws Exception {
        // The CA and the token, as any client has them, but no certificate: a client, not a worker.
        FloeException refusal = registrationRefusal(ClusterTls.fromFiles(clusterDir.resolve("ca.pem"), null, null));
        assertEquals("UnrecognizedClientException", refusal.type().wireName());
        assertTrue(refusal.getMessage().startsWith("a worker must present a certificate signed by this cluster's CA"),
                refusal.getMessage());
        assertEquals(List.of("worker-1"), client.workers().stream().map(w -> w.getId()).toList());
    }

    @Test
    void aClientsCertificateCannotRegisterAsAWorker() throws Exception {
        Path clientDir = data.resolve("client-cert");
        CertificateAuthority.open(clusterDir).issue("thief", CertificateRole.CLIENT, List.of("127.0.0.1"), clientDir);
        FloeException refusal = registrationRefusal(ClusterTls.fromDirectory(clientDir));
        assertEquals("UnrecognizedClientException", refusal.type().wireName());
        assertEquals("a worker's certificate \"thief\" has role client (expected: role worker or role controller; floe tls issue"
                + " --name thief --role worker makes one)", refusal.getMessage());
        assertEquals(List.of("worker-1"), client.workers().stream().map(w -> w.getId()).toList());

        // The same certificate is a client's like any other: it may use the controller's API.
        FleetFixture.Result ls = floe("fn", "ls", "--tls-dir", clientDir.toString());
        assertEquals(0, ls.status(), ls.err());
        assertTrue(ls.out().contains("probe"), ls.out());
    }

    @Test
    void aWorkersCertificateCannotCallAnotherWorkerDirectly() throws Exception {
        // w9's key and the token (every worker has both): enough, before roles, to run functions on worker-1 past the controller.
        Path w9 = data.resolve("w9");
        CertificateAuthority.open(clusterDir).issue("w9", CertificateRole.WORKER, List.of("127.0.0.1"), w9);
        Worker target = fleet.workers().getFirst();
        ManagedChannel channel = NettyChannelBuilder.forTarget(target.address())
                .sslContext(ClusterTls.fromDirectory(w9).clientContext(CertificateRole.WORKER, CertificateRole.CONTROLLER))
                .intercept(fleet.controller().token().attach()).build();
        try {
            var request = dev.floe.proto.WorkerInvokeRequest.newBuilder().build();
            FloeException refusal = FloeException.fromThrowable(org.junit.jupiter.api.Assertions.assertThrows(
                    io.grpc.StatusRuntimeException.class, () -> WorkerInvokerGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(30, TimeUnit.SECONDS).invoke(request)));
            assertEquals("UnrecognizedClientException", refusal.type().wireName());
            assertEquals("the caller's certificate \"w9\" has role worker (expected: role controller; floe tls issue --name w9 --role"
                    + " controller makes one); a worker takes calls only from its controller", refusal.getMessage());
        } finally {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
        // The controller's certificate is admitted on the same port: functions still run there.
        InvokeResponse served = client.invoke("probe", "{}".getBytes(StandardCharsets.UTF_8), false);
        assertEquals("", served.getFunctionError(), served.getPayload().toStringUtf8());
        assertEquals("worker-1", served.getWorkerId());
    }

    @Test
    void aServerWithAWorkersCertificateIsNotTakenForTheController() throws Exception {
        // A worker's certificate naming the address dialled (a DNS or IP trick away): signed by the CA, but no controller.
        Path w8 = data.resolve("w8");
        CertificateAuthority ca = CertificateAuthority.open(clusterDir);
        ca.issue("w8", CertificateRole.WORKER, List.of("127.0.0.1"), w8);
        Path w7 = data.resolve("w7");
        ca.issue("w7", CertificateRole.WORKER, List.of("127.0.0.1"), w7);
        io.grpc.Server server = io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
                .sslContext(ClusterTls.fromDirectory(w8).serverContext(true)).build().start();
        HostPort endpoint = new HostPort("127.0.0.1", server.getPort());
        Worker misled = Worker.builder().controller(endpoint).token(fleet.controller().token()).listenHost("127.0.0.1")
                .memoryMb(512).dataDir(data.resolve("misled")).tls(ClusterTls.fromDirectory(w7)).build();
        try (LogCapture lost = new LogCapture("worker w7 lost the controller")) {
            FleetFixture.Result refused = floe(endpoint, "fn", "ls", "--tls-ca", clusterDir.resolve("ca.pem").toString());
            assertEquals(1, refused.status(), refused.out());
            assertEquals("floe: " + endpoint + " is not this cluster's controller: the server's certificate \"w8\" has role worker"
                    + " (expected: role controller; floe tls issue --name w8 --role controller makes one)\n", refused.err());

            misled.start();
            Await.until(Duration.ofSeconds(30), "the worker's refusal of a controller with a worker's certificate",
                    () -> !lost.messages().isEmpty());
            assertTrue(lost.messages().getFirst().contains("the TLS handshake failed: ")
                    && lost.messages().getFirst().contains("the server's certificate \"w8\" has role worker (expected: role controller"),
                    lost.messages().getFirst());
            assertFalse(misled.registered());
        } finally {
            misled.close();
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** How the controller answers a registration over a channel that presents {@code tls}'s certificate, if any. */
    private static FloeException registrationRefusal(ClusterTls tls) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", fleet.controller().port())
                .sslContext(tls.clientContext(CertificateRole.CONTROLLER)).intercept(fleet.controller().token().attach()).build();
        try {
            return Registrations.refusal(channel, "thief", Duration.ofSeconds(30));
        } finally {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
    }

    @Test
    void tlsInitAndIssueMakeADirectoryForEachNode() throws Exception {
        Path dir = data.resolve("made-by-cli");
        FleetFixture.Result init = run(List.of("tls", "init", "--dir", dir.toString(), "--hosts", "ctl.example.org,10.0.0.1"));
        assertEquals(0, init.status(), init.err());
        assertTrue(init.out().startsWith("CA and controller certificate for controller (ctl.example.org, 10.0.0.1, localhost, 127.0.0.1, ::1) in "),
                init.out());
        FleetFixture.Result issue = run(List.of("tls", "issue", "--dir", dir.toString(), "--name", "w1", "--hosts", "10.0.0.11"));
        assertEquals(0, issue.status(), issue.err());
        assertTrue(issue.out().startsWith("worker certificate for w1 "), issue.out());
        ClusterTls w1 = ClusterTls.fromDirectory(dir.resolve("w1"));
        w1.certificate().verify(CertificateAuthority.open(dir).certificate().getPublicKey());
        assertEquals(java.util.Optional.of(CertificateRole.WORKER), w1.role());
        assertEquals(java.util.Optional.of(CertificateRole.CONTROLLER), ClusterTls.fromDirectory(dir).role());
        FleetFixture.Result asClient = run(List.of("tls", "issue", "--dir", dir.toString(), "--name", "ci", "--role", "client"));
        assertEquals(0, asClient.status(), asClient.err());
        assertEquals(java.util.Optional.of(CertificateRole.CLIENT), ClusterTls.fromDirectory(dir.resolve("ci")).role());
        FleetFixture.Result badRole = run(List.of("tls", "issue", "--dir", dir.toString(), "--name", "w3", "--role", "admin"));
        assertEquals(2, badRole.status(), badRole.out());
        assertEquals("floe: --role: \"admin\" (expected one of: worker, controller, client)\n", badRole.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("w3")));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(dir.resolve("w1").resolve("key.pem"))));

        FleetFixture.Result badHost = run(List.of("tls", "issue", "--dir", dir.toString(), "--name", "w2",
                "--hosts", "10.0.0.12,no_such host"));
        assertEquals(2, badHost.status(), badHost.out());
        assertEquals("floe: --hosts: \"no_such host\" (expected: a host name or an IP address)\n", badHost.err());
        FleetFixture.Result again = run(List.of("tls", "init", "--dir", dir.toString()));
        assertEquals(1, again.status(), again.out());
        assertTrue(again.err().contains("already holds a CA"), again.err());
    }

    private static FleetFixture.Result floe(String... args) {
        return floe(fleet.endpoint(), args);
    }

    /** A floe command as a user types it, with the fleet's token and a HOME of its own. */
    private static FleetFixture.Result floe(HostPort endpoint, String... args) {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--endpoint", endpoint.toString(), "--token-file", data.resolve("fleet/controller/token").toString()));
        return run(line);
    }

    private static FleetFixture.Result run(List<String> line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Floe.cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", data.resolve("home").toString())).run(line.toArray(String[]::new));
        return new FleetFixture.Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
