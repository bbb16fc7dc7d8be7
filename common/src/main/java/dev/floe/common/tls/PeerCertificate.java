package dev.floe.common.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** The certificate a TLS peer presented, as a server that checks its role reads it. */
public final class PeerCertificate {
    private PeerCertificate() {}

    /**
     * The peer's own certificate (the first of its chain), which the handshake verified against the
     * cluster's CA; null without a session (plaintext) or without a certificate.
     */
    public static X509Certificate verified(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
