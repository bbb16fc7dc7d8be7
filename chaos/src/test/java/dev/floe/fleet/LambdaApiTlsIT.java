package dev.floe.fleet;

import dev.floe.launcher.AwsProfile;

import dev.floe.launcher.LocalFleet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.Lifecycles;
import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.lambdaapi.ConnectionLimits;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * A controller with the cluster's TLS files serves the Lambda API over HTTPS with the certificate its gRPC
 * port presents: the real AWS SDK for Java v2, trusting the cluster's ca.pem, creates and invokes a function;
 * plaintext HTTP, a handshake that stops, and a connection that says nothing are closed unanswered.
 */
class LambdaApiTlsIT {
    private static final Duration IDLE = Duration.ofSeconds(1);
    /** Longer than the idle timeout, so a handshake closed at the idle timeout would show. */
    private static final Duration READ = Duration.ofSeconds(2);
    /** How long a test waits for an answer or a close: long enough for a loaded machine. */
    private static final int SOCKET_TIMEOUT_MS = 120_000;

    private static Path data;
    private static Path clusterDir;
    private static LocalFleet fleet;

    @BeforeAll
    static void start() throws Exception {
        data = TestDirs.create("lambda-tls");
        clusterDir = data.resolve("cluster");
        CertificateAuthority.create(clusterDir).issue("node", CertificateRole.CONTROLLER, List.of("127.0.0.1"), clusterDir);
        fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(1024)
                .tls(ClusterTls.fromDirectory(clusterDir))
                .controllerTuning(b -> b.lambdaConnections(ConnectionLimits.DEFAULT.withIdleTimeout(IDLE).withReadTimeout(READ)))
                .start().awaitRegistered(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        Lifecycles.closeQuietly(fleet);
        if (data != null) {
            TestDirs.delete(data);
        }
    }

    @Test
    void theSdkTrustingTheClustersCaCreatesAndInvokesOverHttps() throws Exception {
        URI endpoint = fleet.lambdaEndpoint();
        assertEquals("https", endpoint.getScheme());
        try (LambdaClient lambda = client(endpoint, trusting(clusterDir.resolve(ClusterTls.CA_FILE)))) {
            CreateFunctionResponse created = lambda.createFunction(r -> r.functionName("tls-probe").runtime(Runtime.PROVIDED_AL2)
                    .handler("probe.handler").role("arn:aws:iam::000000000000:role/ignored").memorySize(256).timeout(10)
                    .code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip()))));
            assertEquals("tls-probe", created.functionName());
            InvokeResponse invoked = lambda.invoke(r -> r.functionName("tls-probe").payload(SdkBytes.fromUtf8String("{\"op\":\"count\"}")));
            assertEquals(200, invoked.statusCode());
            assertEquals(null, invoked.functionError(), invoked.payload().asUtf8String());
            assertTrue(invoked.payload().asUtf8String().contains("\"count\""), invoked.payload().asUtf8String());
        }
    }

    @Test
    void theAwsCliWithTheClustersCaBundleTalksHttpsAndWithoutItRefuses() throws Exception {
        Path cli = AwsCliIT.requiredCli();
        Path dir = AwsCliIT.prepare(Files.createDirectories(data.resolve("aws-cli")));
        String endpoint = fleet.lambdaEndpoint().toString();

        // As floe up --tls writes the profile: with the cluster's CA as its ca_bundle.
        var key = fleet.controller().lambdaCredentials().first().orElseThrow();
        AwsProfile.write(dir.resolve("home"), key, fleet.lambdaEndpoint(), clusterDir.resolve(ClusterTls.CA_FILE));
        AwsCliIT.Cli trusted = AwsCliIT.exec(cli, dir, List.of("list-functions", "--profile", AwsProfile.NAME, "--endpoint-url", endpoint));
        AwsProfile.write(dir.resolve("home"), key, fleet.lambdaEndpoint(), null);
        AwsCliIT.Cli untrusted = AwsCliIT.exec(cli, dir, List.of("list-functions", "--profile", AwsProfile.NAME, "--endpoint-url", endpoint));

        assertEquals(0, trusted.status(), trusted.err());
        assertTrue(trusted.json().get("Functions").isJsonArray(), trusted.out());
        assertNotEquals(0, untrusted.status(), untrusted.out());
        assertTrue(untrusted.err().contains("CERTIFICATE_VERIFY_FAILED"), untrusted.err());
    }

    @Test
    void anSdkWithoutTheCaRefusesTheCertificate() throws Exception {
        // The JDK's default trust store: the cluster's own CA is not in it.
        try (LambdaClient lambda = client(fleet.lambdaEndpoint(), null)) {
            SdkClientException refused = assertThrows(SdkClientException.class, () -> lambda.listFunctions());
            assertTrue(causes(refused, SSLHandshakeException.class), refused.toString());
        }
    }

    @Test
    void plaintextHttpToTheHttpsPortGetsNoAnswer() throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /2015-03-31/functions/ HTTP/1.1\r\nHost: floe\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            long start = System.nanoTime();
            assertEquals(-1, readOrReset(socket.getInputStream()), "closed without an HTTP answer");
            assertTrue(System.nanoTime() - start < IDLE.toNanos() + Duration.ofSeconds(30).toNanos());
        }
    }

    @Test
    void aQuietConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        long start = System.nanoTime();
        try (Socket socket = connect()) {
            assertEquals(-1, readOrReset(socket.getInputStream()), "the server closes the connection without a word");
            assertTrue(System.nanoTime() - start >= IDLE.toNanos(), "not before the idle timeout");
        }
    }

    @Test
    void aHandshakeThatStopsIsClosedAfterTheReadTimeout() throws IOException {
        // The first bytes of a TLS record header (a handshake record of TLS 1.2), and never the rest.
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x03, 0x00});
            socket.getOutputStream().flush();
            assertEquals(-1, readOrReset(socket.getInputStream()), "closed without a word");
            assertTrue(System.nanoTime() - start >= READ.toNanos(), "not before the read timeout");
        }
    }

    @Test
    void aConnectionQuietAfterItsHandshakeIsClosedAfterTheIdleTimeout() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trusting(clusterDir.resolve(ClusterTls.CA_FILE)), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", fleet.controller().lambdaPort())) {
            socket.setSoTimeout(SOCKET_TIMEOUT_MS);
            socket.startHandshake();
            long handshaken = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "closed without an HTTP answer");
            assertTrue(System.nanoTime() - handshaken >= IDLE.toNanos() - Duration.ofMillis(50).toNanos(), "not before the idle timeout");
        }
    }

    private static LambdaClient client(URI endpoint, TrustManager[] trust) {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(60));
        if (trust != null) {
            http.tlsTrustManagersProvider(() -> trust);
        }
        return LambdaClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        fleet.controller().lambdaCredentials().first().orElseThrow().id(),
                        fleet.controller().lambdaCredentials().first().orElseThrow().secret())))
                .httpClient(http.build())
                .overrideConfiguration(c -> c.retryPolicy(RetryPolicy.none()))
                .build();
    }

    /** Trust managers that trust the certificates in {@code caPem} alone, as a user would make from the cluster's ca.pem. */
    static TrustManager[] trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            int i = 0;
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, (X509Certificate) certificate);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", fleet.controller().lambdaPort());
        socket.setSoTimeout(SOCKET_TIMEOUT_MS);
        return socket;
    }

    /** -1 at the end of the stream; a reset counts as a close too, since the server may close with bytes unread. */
    private static int readOrReset(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketException reset) {
            return -1;
        }
    }

    private static boolean causes(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
