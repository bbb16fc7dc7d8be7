package dev.floe.client.cli;

import dev.floe.common.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Asks a port whether it speaks TLS, to explain a plaintext call that a TLS server dropped: starts a
 * handshake and stops it as soon as the server shows a certificate. Nothing is sent after that, so
 * no certificate is ever trusted.
 */
final class TlsProbe {
    private static final int TIMEOUT_MS = 2_000;

    private TlsProbe() {}

    static boolean speaksTls(HostPort endpoint) {
        AtomicBoolean sawCertificate = new AtomicBoolean();
        TrustManager refuseAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("probe only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                sawCertificate.set(chain.length > 0);
                throw new CertificateException("probe only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), TIMEOUT_MS);
            plain.setSoTimeout(TIMEOUT_MS);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {refuseAll}, null);
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, endpoint.host(), endpoint.port(), false)) {
                tls.startHandshake();
            }
        } catch (IOException | GeneralSecurityException e) {
            // Expected: the handshake is refused by our own trust manager, or the port does not speak TLS.
        }
        return sawCertificate.get();
    }
}
