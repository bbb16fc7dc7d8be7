package dev.floe.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files floe tls init and issue leave: what a node reads, who may read the keys, which names a certificate is good for. */
class CertificateAuthorityTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;

    @BeforeAll
    static void makeCa() throws IOException {
        ca = CertificateAuthority.create(dir.resolve("ca"));
        ca.issue("worker-1", CertificateRole.WORKER, List.of("10.0.0.7", "worker-1.example.org", "[fd00::7]"), dir.resolve("worker-1"));
    }

    @Test
    void privateKeysAreForTheirOwnerOnlyAndCertificatesForAnyone() throws IOException {
        assertEquals("rw-------", permissions(dir.resolve("ca").resolve("ca-key.pem")));
        assertEquals("rw-------", permissions(dir.resolve("worker-1").resolve("key.pem")));
        assertEquals("rw-r--r--", permissions(dir.resolve("worker-1").resolve("cert.pem")));
        assertEquals(Files.readString(dir.resolve("ca").resolve("ca.pem")), Files.readString(dir.resolve("worker-1").resolve("ca.pem")));
        assertFalse(Files.exists(dir.resolve("worker-1").resolve("ca-key.pem")), "the CA's key stays with the CA");
    }

    @Test
    void anExpiredCertificateIsRefusedWhenReadSayingWhenItExpiredAndWhatToDo() throws Exception {
        Path expired = dir.resolve("expired");
        TestCertificates.issueExpired(ca, "old", CertificateRole.WORKER, List.of("10.0.0.8"), expired);
        X509Certificate certificate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(expired.resolve("cert.pem")));

        IOException e = assertThrows(IOException.class, () -> ClusterTls.fromDirectory(expired));
        assertEquals(expired.resolve("cert.pem") + ": the certificate of CN=old,OU=floe-worker expired on " + certificate.getNotAfter().toInstant()
                + " (expected: one valid now; floe tls issue makes a new one under the same CA)", e.getMessage());
    }

    @Test
    void aNodeCertificateIsSignedByTheCaAndNamesExactlyItsHosts() throws Exception {
        ClusterTls tls = ClusterTls.fromDirectory(dir.resolve("worker-1"));
        assertTrue(tls.hasCertificate());
        X509Certificate node = tls.certificate();
        node.verify(ca.certificate().getPublicKey());
        assertEquals("CN=worker-1,OU=floe-worker", node.getSubjectX500Principal().getName());
        assertEquals("worker-1", tls.name(), "the name a worker's id is held to");
        assertEquals(java.util.Optional.of(CertificateRole.WORKER), tls.role());
        Set<String> names = node.getSubjectAlternativeNames().stream().map(n -> n.get(1).toString()).collect(Collectors.toSet());
        assertEquals(Set.of("10.0.0.7", "worker-1.example.org", "fd00:0:0:0:0:0:0:7"), names);
        assertEquals(-1, node.getBasicConstraints(), "a node certificate cannot sign others");
        assertTrue(ca.certificate().getBasicConstraints() >= 0, "the CA can");
        assertTrue(node.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")), "server and client");
    }

    @Test
    void initializeMakesTheLocalDirectoryOnceThenReadsIt() throws Exception {
        Path local = dir.resolve("local");
        ClusterTls first = CertificateAuthority.initialize(local, "local", List.of("devbox"));
        ClusterTls again = CertificateAuthority.initialize(local, "local", List.of("devbox"));
        assertEquals(first.certificate(), again.certificate());
        Set<String> names = first.certificate().getSubjectAlternativeNames().stream().map(n -> n.get(1).toString())
                .collect(Collectors.toSet());
        assertEquals(Set.of("devbox", "localhost", "127.0.0.1", "0:0:0:0:0:0:0:1"), names);
        assertEquals(java.util.Optional.of(CertificateRole.CONTROLLER), first.role(), "shared by the controller and its local workers");
    }

    @Test
    void initializeIssuesAgainALocalCertificateMadeBeforeRolesUnderTheSameCa() throws Exception {
        Path local = dir.resolve("local-before-roles");
        CertificateAuthority old = CertificateAuthority.create(local);
        TestCertificates.issueWithoutRole(old, "local", List.of("devbox", "127.0.0.1"), local);
        assertEquals(java.util.Optional.empty(), ClusterTls.fromDirectory(local).role());

        ClusterTls renewed = CertificateAuthority.initialize(local, "local", List.of("devbox"));
        assertEquals(java.util.Optional.of(CertificateRole.CONTROLLER), renewed.role());
        renewed.certificate().verify(old.certificate().getPublicKey());
        assertEquals("rw-------", permissions(local.resolve("key.pem")));
        assertEquals(renewed.certificate(), CertificateAuthority.initialize(local, "local", List.of("devbox")).certificate());
    }

    @Test
    void aRoleIsOneOfThreeWordsAndAWrongOneIsRefusedNamingTheExpectedRole() throws Exception {
        assertEquals(CertificateRole.CLIENT, CertificateRole.parse("client"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> CertificateRole.parse("admin"));
        assertEquals("role: \"admin\" (expected one of: worker, controller, client)", bad.getMessage());

        X509Certificate worker = ClusterTls.fromDirectory(dir.resolve("worker-1")).certificate();
        assertEquals(null, CertificateRole.refusal(worker, "a worker", CertificateRole.WORKER, CertificateRole.CONTROLLER));
        assertEquals("the caller's certificate \"worker-1\" has role worker (expected: role controller; floe tls issue --name worker-1"
                + " --role controller makes one)", CertificateRole.refusal(worker, "the caller", CertificateRole.CONTROLLER));
        Path bare = dir.resolve("bare");
        TestCertificates.issueWithoutRole(ca, "bare", List.of("10.0.0.9"), bare);
        assertEquals("a worker's certificate \"bare\" has no role (made before Floe's certificates had roles) (expected: role worker"
                + " or role controller; floe tls issue --name bare --role worker makes one)",
                CertificateRole.refusal(ClusterTls.fromDirectory(bare).certificate(), "a worker", CertificateRole.WORKER,
                        CertificateRole.CONTROLLER));
    }

    @Test
    void keysAreNeverOverwrittenAndABadHostIsRefusedBeforeAnythingIsMade() {
        IOException again = assertThrows(IOException.class, () -> ca.issue("worker-1", CertificateRole.WORKER, List.of("10.0.0.8"), dir.resolve("worker-1")));
        assertTrue(again.getMessage().endsWith("key.pem already exists (expected: a directory without a key; Floe does not overwrite keys)"),
                again.getMessage());
        IOException secondCa = assertThrows(IOException.class, () -> CertificateAuthority.create(dir.resolve("ca")));
        assertTrue(secondCa.getMessage().contains("already holds a CA"), secondCa.getMessage());

        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> ca.issue("w2", CertificateRole.WORKER, List.of("has space"), dir.resolve("w2")));
        assertEquals("hosts: \"has space\" (expected: a host name or an IP address)", host.getMessage());
        assertFalse(Files.exists(dir.resolve("w2")));
        assertThrows(IllegalArgumentException.class, () -> ca.issue("a/b", CertificateRole.WORKER, List.of("h"), dir.resolve("w3")));
    }

    @Test
    void unreadableFilesSayWhatWasExpected() throws IOException {
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.copy(dir.resolve("ca").resolve("ca.pem"), bad.resolve("ca.pem"));
        Files.copy(dir.resolve("worker-1").resolve("cert.pem"), bad.resolve("cert.pem"));
        Files.writeString(bad.resolve("key.pem"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        IOException key = assertThrows(IOException.class, () -> ClusterTls.fromDirectory(bad));
        assertTrue(key.getMessage().contains("expected: PEM, -----BEGIN PRIVATE KEY-----, unencrypted PKCS#8) (found a traditional"),
                key.getMessage());

        IOException missing = assertThrows(IOException.class, () -> ClusterTls.fromDirectory(dir.resolve("nowhere")));
        assertTrue(missing.getMessage().contains("no such directory (expected: one holding ca.pem"), missing.getMessage());

        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> ClusterTls.fromFiles(dir.resolve("ca").resolve("ca.pem"), dir.resolve("worker-1").resolve("cert.pem"), null));
        assertEquals("TLS: a certificate without a key (expected: both --tls-cert and --tls-key, or neither)", half.getMessage());

        ClusterTls clientOnly = ClusterTls.fromFiles(dir.resolve("ca").resolve("ca.pem"), null, null);
        assertFalse(clientOnly.hasCertificate());
        IllegalStateException server = assertThrows(IllegalStateException.class, () -> clientOnly.serverContext(false));
        assertTrue(server.getMessage().startsWith("TLS: a server needs a certificate and key"), server.getMessage());
    }

    private static String permissions(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
