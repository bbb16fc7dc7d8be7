package dev.floe.common.tls;

import java.security.cert.CertificateException;

/**
 * A peer's certificate chains to the cluster's CA but has the wrong {@link CertificateRole}: a channel's
 * handshake fails with it, and the command line tells it apart from a certificate of another CA.
 */
public final class CertificateRoleException extends CertificateException {
    public CertificateRoleException(String message) {
        super(message);
    }
}
