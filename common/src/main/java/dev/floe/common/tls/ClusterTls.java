package dev.floe.common.tls;

import dev.floe.common.Check;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLException;
import javax.security.auth.x500.X500Principal;

/**
 * One node's TLS files: the cluster's CA, which every peer's certificate must chain to, and
 * optionally this node's own certificate and private key. Servers present the certificate; channels
 * verify the server's against the CA (and its name against the address dialled) and present theirs
 * when they have one, which a worker must (mutual TLS). Read once; the contexts it makes use the
 * JDK's TLS (no native library), ALPN {@code h2} as gRPC needs; the HTTPS server context, plain HTTP/1.1.
 */
public final class ClusterTls {
    /** The files of a TLS directory, as {@code floe tls init} and {@code floe tls issue} write them. */
    public static final String CA_FILE = "ca.pem";
    public static final String CERT_FILE = "cert.pem";
    public static final String KEY_FILE = "key.pem";

    private final List<X509Certificate> ca;
    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final String source;
    /** Made once per set of server roles: the controller opens a channel per worker, and a context is safe to share. */
    private final java.util.Map<java.util.Set<CertificateRole>, SslContext> clients = new java.util.HashMap<>();

    private ClusterTls(List<X509Certificate> ca, List<X509Certificate> chain, PrivateKey key, String source) {
        this.ca = ca;
        this.chain = chain;
        this.key = key;
        this.source = source;
    }

    /** {@code dir/ca.pem}, and {@code dir/cert.pem} with {@code dir/key.pem} if both are there. */
    public static ClusterTls fromDirectory(Path dir) throws IOException {
        Check.notNull("dir", dir);
        if (!Files.isDirectory(dir)) {
            throw new IOException("TLS directory " + dir + ": no such directory (expected: one holding ca.pem, and cert.pem"
                    + " with key.pem, as floe tls init or floe tls issue make)");
        }
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        boolean identity = Files.exists(cert) || Files.exists(key);
        return fromFiles(dir.resolve(CA_FILE), identity ? cert : null, identity ? key : null);
    }

    /** The CA in {@code ca}; this node's certificate chain in {@code cert} and key in {@code key}, both or neither (null). */
    public static ClusterTls fromFiles(Path ca, Path cert, Path key) throws IOException {
        Check.notNull("ca", ca);
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("TLS: " + (cert == null ? "a key without a certificate" : "a certificate without a key")
                    + " (expected: both --tls-cert and --tls-key, or neither)");
        }
        List<X509Certificate> authorities = Pem.certificates(ca);
        for (X509Certificate authority : authorities) {
            checkValidNow(authority, ca, "a CA valid now; floe tls init makes a new one, and every node then needs a certificate from it");
        }
        if (cert == null) {
            return new ClusterTls(authorities, List.of(), null, ca.toString());
        }
        List<X509Certificate> chain = Pem.certificates(cert);
        checkValidNow(chain.getFirst(), cert, "one valid now; floe tls issue makes a new one under the same CA");
        PrivateKey privateKey = Pem.privateKey(key);
        if (!chain.getFirst().getPublicKey().getAlgorithm().equals(privateKey.getAlgorithm())) {
            throw new IOException(key + ": a " + privateKey.getAlgorithm() + " key for a " + chain.getFirst().getPublicKey().getAlgorithm()
                    + " certificate (expected: the key of " + cert + ")");
        }
        return new ClusterTls(authorities, chain, privateKey, ca.toString());
    }

    /**
     * Refuses a certificate outside its validity period when read: every peer would refuse it at each handshake,
     * with words that do not say why (a client sees its certificate as untrusted, a worker retries for ever).
     */
    private static void checkValidNow(X509Certificate certificate, Path file, String expected) throws IOException {
        String subject = certificate.getSubjectX500Principal().getName();
        try {
            certificate.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new IOException(file + ": the certificate of " + subject + " expired on " + certificate.getNotAfter().toInstant()
                    + " (expected: " + expected + ")", e);
        } catch (CertificateNotYetValidException e) {
            throw new IOException(file + ": the certificate of " + subject + " is valid only from " + certificate.getNotBefore().toInstant()
                    + " (expected: " + expected + "; or this machine's clock is behind)", e);
        }
    }

    /** Whether this node has a certificate to present. */
    public boolean hasCertificate() {
        return key != null;
    }

    /** Where the CA was read from, to say which file a peer's certificate was checked against. */
    public String source() {
        return source;
    }

    /** This node's own certificate, if it has one. */
    public X509Certificate certificate() {
        if (chain.isEmpty()) {
            throw new IllegalStateException("TLS: no certificate (expected: cert.pem and key.pem beside ca.pem)");
        }
        return chain.getFirst();
    }

    /**
     * The name this node's certificate was issued for (its subject's CN, {@code floe tls issue --name}):
     * a worker's default id, and the id the controller holds a worker to.
     */
    public String name() {
        return commonName(certificate());
    }

    /** The role this node's certificate was issued with; empty for one made before roles. */
    public java.util.Optional<CertificateRole> role() {
        return CertificateRole.of(certificate());
    }

    /** The subject's common name (CN) of {@code certificate}; empty if it has none. */
    public static String commonName(X509Certificate certificate) {
        Check.notNull("certificate", certificate);
        try {
            List<Rdn> rdns = new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns();
            // LdapName numbers RDNs from the right, so the most specific (the first written) is the last.
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return rdns.get(i).getValue().toString();
                }
            }
            return "";
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("certificate subject: " + certificate.getSubjectX500Principal()
                    + " (expected: a distinguished name)", e);
        }
    }

    /**
     * For a gRPC server: presents this node's certificate; a peer's certificate, when sent, must chain
     * to the CA, and with {@code requirePeerCertificate} a peer without one is refused at the handshake.
     */
    public SslContext serverContext(boolean requirePeerCertificate) {
        if (key == null) {
            throw new IllegalStateException("TLS: a server needs a certificate and key (expected: cert.pem and key.pem beside "
                    + source + ", or --tls-cert and --tls-key; floe tls issue makes them)");
        }
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new)), SslProvider.JDK)
                    .trustManager(ca.toArray(X509Certificate[]::new))
                    .clientAuth(requirePeerCertificate ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("TLS: cannot make a server context: " + e.getMessage(), e);
        }
    }

    /**
     * For an HTTPS server beside gRPC (the controller's Lambda API): presents this node's certificate, over HTTP/1.1
     * without ALPN, and asks for no certificate in return, since the AWS SDKs and CLI present none. Made on each call:
     * a server makes it once.
     */
    public SslContext httpsServerContext() {
        if (key == null) {
            throw new IllegalStateException("TLS: an HTTPS server needs a certificate and key (expected: cert.pem and key.pem beside "
                    + source + ", or --tls-cert and --tls-key; floe tls issue makes them)");
        }
        try {
            return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.JDK)
                    .clientAuth(ClientAuth.NONE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("TLS: cannot make an HTTPS server context: " + e.getMessage(), e);
        }
    }

    /**
     * For a gRPC channel: trusts the CA alone, checks the server's name against the address dialled and its certificate's
     * role against {@code serverRoles} (a worker's channel to its controller: {@link CertificateRole#CONTROLLER}), and
     * presents this node's certificate if any.
     */
    public synchronized SslContext clientContext(CertificateRole... serverRoles) {
        if (serverRoles.length == 0) {
            throw new IllegalArgumentException("serverRoles: none (expected: the roles a server this channel dials may have)");
        }
        return clients.computeIfAbsent(java.util.Set.of(serverRoles), roles -> newClientContext(serverRoles));
    }

    private SslContext newClientContext(CertificateRole... serverRoles) {
        try {
            SslContextBuilder builder = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                    .trustManager(RoleTrustManager.of(ca, serverRoles))
                    .endpointIdentificationAlgorithm("HTTPS");
            if (key != null) {
                builder.keyManager(key, chain.toArray(X509Certificate[]::new));
            }
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("TLS: cannot make a client context: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ClusterTls[ca " + source + (key != null ? ", certificate " + chain.getFirst().getSubjectX500Principal().getName() : "") + "]";
    }
}
