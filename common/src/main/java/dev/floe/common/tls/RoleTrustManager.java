package dev.floe.common.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A channel's trust in a server: the JDK's check against the cluster CA (chain, validity, and the
 * name dialled, which it reads from the engine), then the server certificate's {@link CertificateRole}.
 * The name alone is not enough: a worker's certificate may name an address that DNS or a moved IP
 * then points a worker at, and without the role it would pass as that worker's controller.
 */
final class RoleTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager ca;
    private final CertificateRole[] serverRoles;

    private RoleTrustManager(X509ExtendedTrustManager ca, CertificateRole[] serverRoles) {
        this.ca = ca;
        this.serverRoles = serverRoles;
    }

    /** Trusts servers whose certificate chains to {@code authorities} and has one of {@code serverRoles}. */
    static RoleTrustManager of(List<X509Certificate> authorities, CertificateRole... serverRoles) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return new RoleTrustManager(x509, serverRoles.clone());
                }
            }
            throw new IllegalStateException("TLS: the JDK offers no X509ExtendedTrustManager (expected: the SunJSSE provider)");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("TLS: cannot trust the cluster's CA: " + e.getMessage(), e);
        }
    }

    private void checkRole(X509Certificate[] chain) throws CertificateException {
        String refusal = CertificateRole.refusal(chain[0], "the server", serverRoles);
        if (refusal != null) {
            throw new CertificateRoleException(refusal);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        ca.checkServerTrusted(chain, authType, engine);
        checkRole(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        ca.checkServerTrusted(chain, authType, socket);
        checkRole(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkServerTrusted(chain, authType);
        checkRole(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        ca.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        ca.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
    }
}
