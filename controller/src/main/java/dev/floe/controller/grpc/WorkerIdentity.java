package dev.floe.controller.grpc;

import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.tls.ClusterTls;
import dev.floe.proto.Registration;
import java.security.cert.X509Certificate;

/**
 * Holds a registering worker to the id its certificate was issued for (the certificate's CN, {@code
 * floe tls issue --name}). Over TLS every certificate the cluster's CA signed passes the handshake, so
 * without this the holder of worker w1's certificate could register as w2, advertise its own address
 * and receive w2's invocations and payloads. The one exception is the controller's own certificate,
 * compared whole, not by name: the local fleet of {@code floe up --tls} gives the controller and all
 * its workers that one certificate, and whoever holds its key can act as the controller anyway.
 */
public final class WorkerIdentity {
    private static final WorkerIdentity PLAINTEXT = new WorkerIdentity(null);

    /** Null in plaintext: there is no certificate to hold a worker to. */
    private final X509Certificate controllers;

    private WorkerIdentity(X509Certificate controllers) {
        this.controllers = controllers;
    }

    /** No TLS: any id the token's holder gives. */
    public static WorkerIdentity plaintext() {
        return PLAINTEXT;
    }

    /** TLS: a worker's id must be its certificate's name, unless it presents {@code controllers}, the controller's own certificate. */
    public static WorkerIdentity certificates(X509Certificate controllers) {
        return new WorkerIdentity(Check.notNull("controllers", controllers));
    }

    /**
     * Refuses {@code registration} if it may not come from the holder of {@code certificate}, the one
     * the worker presented ({@link WorkerCertificateCheck#CERTIFICATE}; null when none was).
     */
    public void check(Registration registration, X509Certificate certificate) {
        if (controllers == null) {
            return;
        }
        String id = registration.getWorkerId();
        if (certificate == null) {
            // WorkerCertificateCheck turns such a call away before it gets here; this holds if it ever does not.
            throw new FloeException(ErrorType.UNAUTHENTICATED, "worker id \"" + id + "\" came without a certificate (expected: floe worker"
                    + " --tls-dir DIR with the cert.pem and key.pem that floe tls issue makes)");
        }
        String name = ClusterTls.commonName(certificate);
        if (!certificate.equals(controllers) && !name.equals(id)) {
            throw new FloeException(ErrorType.UNAUTHENTICATED, "worker id \"" + id + "\" does not match its certificate's name \""
                    + name + "\" (expected: floe worker --id " + name + ", or a certificate made for " + id
                    + " by floe tls issue --name " + id + ")");
        }
        if (registration.getInstance().isEmpty()) {
            // FleetView lets a registration without an instance replace a live worker of the same id: with a key
            // copied from w1, that would take w1's invocations while w1 still runs. Floe's workers always send one.
            throw new FloeException(ErrorType.INVALID_PARAMETER, "instance: \"\" (expected: the worker process's random run id,"
                    + " which floe worker sends; over TLS a registration without one could displace worker " + id + " while it runs)");
        }
    }
}
