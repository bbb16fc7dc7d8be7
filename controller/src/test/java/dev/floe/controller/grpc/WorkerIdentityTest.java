package dev.floe.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.common.FloeException;
import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.proto.Registration;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which worker ids a certificate may register, as the registration's refusal tells the worker. */
class WorkerIdentityTest {
    @TempDir
    static Path dir;
    static X509Certificate controller;
    static X509Certificate w1;
    /** Issued with the controller's name, but not the controller's certificate. */
    static X509Certificate namedLikeTheController;
    static WorkerIdentity identity;

    @BeforeAll
    static void issue() throws IOException {
        CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"));
        controller = certificate(ca, "controller");
        w1 = certificate(ca, "w1");
        ca.issue("controller", CertificateRole.CONTROLLER, List.of("10.0.0.9"), dir.resolve("second-controller"));
        namedLikeTheController = ClusterTls.fromDirectory(dir.resolve("second-controller")).certificate();
        identity = WorkerIdentity.certificates(controller);
    }

    private static X509Certificate certificate(CertificateAuthority ca, String name) throws IOException {
        ca.issue(name, CertificateRole.WORKER, List.of("127.0.0.1"), dir.resolve(name));
        return ClusterTls.fromDirectory(dir.resolve(name)).certificate();
    }

    @Test
    void aWorkerRegistersUnderItsCertificatesNameOnly() {
        identity.check(registration("w1", "run-a"), w1);

        FloeException refused = assertThrows(FloeException.class, () -> identity.check(registration("w2", "run-a"), w1));
        assertEquals("UnrecognizedClientException", refused.type().wireName());
        assertEquals("worker id \"w2\" does not match its certificate's name \"w1\" (expected: floe worker --id w1, or a certificate"
                + " made for w2 by floe tls issue --name w2)", refused.getMessage());
    }

    @Test
    void theControllersOwnCertificateMayRegisterAnyIdButOnlyThatCertificate() {
        // floe up --tls: the controller and every local worker share one certificate.
        identity.check(registration("worker-1", "run-a"), controller);
        identity.check(registration("worker-2", "run-b"), controller);

        FloeException refused = assertThrows(FloeException.class,
                () -> identity.check(registration("worker-1", "run-a"), namedLikeTheController));
        assertEquals("worker id \"worker-1\" does not match its certificate's name \"controller\" (expected: floe worker --id"
                + " controller, or a certificate made for worker-1 by floe tls issue --name worker-1)", refused.getMessage());
    }

    @Test
    void overTlsARegistrationWithoutAnInstanceIsRefused() {
        FloeException refused = assertThrows(FloeException.class, () -> identity.check(registration("w1", ""), w1));
        assertEquals("InvalidParameterValueException", refused.type().wireName());
        assertEquals("instance: \"\" (expected: the worker process's random run id, which floe worker sends; over TLS a"
                + " registration without one could displace worker w1 while it runs)", refused.getMessage());
    }

    @Test
    void withoutACertificateOverTlsNothingRegisters() {
        FloeException refused = assertThrows(FloeException.class, () -> identity.check(registration("w1", "run-a"), null));
        assertEquals("UnrecognizedClientException", refused.type().wireName());
    }

    @Test
    void inPlaintextAnyIdRegisters() {
        WorkerIdentity.plaintext().check(registration("w2", ""), null);
        WorkerIdentity.plaintext().check(registration("w2", "run-a"), w1);
    }

    private static Registration registration(String id, String instance) {
        return Registration.newBuilder().setWorkerId(id).setInstance(instance).setAddress("127.0.0.1:1").setMemoryMb(1024).build();
    }
}
