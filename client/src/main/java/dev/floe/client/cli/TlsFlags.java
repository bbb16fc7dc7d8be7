package dev.floe.client.cli;

import dev.floe.common.HostPort;
import dev.floe.common.tls.ClusterTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The TLS options every command that talks to a fleet takes: {@code --tls-dir DIR} (its {@code ca.pem},
 * and {@code cert.pem} with {@code key.pem} if there), {@code --tls-ca/--tls-cert/--tls-key FILE} (each
 * overriding the directory's file), and {@code --tls}, the local directory {@code ~/.floe/tls} that
 * {@code floe up --tls} makes. None of them: plaintext, as before TLS existed. Also explains a failed
 * handshake in words, with the flag that fixes it.
 */
public final class TlsFlags {
    private TlsFlags() {}

    public static Args.Spec add(Args.Spec spec) {
        return spec.flag("tls", "TLS with the local directory ~/.floe/tls (floe up --tls and floe controller --tls make it)")
                .value("tls-dir", "DIR", "TLS with DIR's files: ca.pem, and cert.pem with key.pem if there (default: plaintext)")
                .value("tls-ca", "FILE", "the cluster's CA certificate, overriding the directory's")
                .value("tls-cert", "FILE", "this node's certificate, overriding the directory's")
                .value("tls-key", "FILE", "this node's key, overriding the directory's");
    }

    /** Whether any TLS option is given. */
    public static boolean given(Args args) {
        return args.has("tls") || args.has("tls-dir") || args.has("tls-ca") || args.has("tls-cert") || args.has("tls-key");
    }

    /** The directory {@code --tls} stands for: {@code ~/.floe/tls}. */
    public static Path localDirectory(Cli cli) {
        return Path.of(cli.env().getOrDefault("HOME", "."), ".floe", "tls");
    }

    /** The directory the options name, if any ({@code --tls-dir}, else {@code --tls}'s). */
    public static Optional<Path> directory(Args args, Cli cli) {
        if (args.has("tls-dir") && args.has("tls")) {
            throw new UsageException("--tls and --tls-dir: both given (expected: one; --tls is --tls-dir " + localDirectory(cli) + ")");
        }
        if (args.has("tls-dir")) {
            return Optional.of(Path.of(args.value("tls-dir", null)));
        }
        return args.has("tls") ? Optional.of(localDirectory(cli)) : Optional.empty();
    }

    /** The TLS files the options name, read; empty without TLS options (plaintext). */
    public static Optional<ClusterTls> resolve(Args args, Cli cli) {
        if (!given(args)) {
            return Optional.empty();
        }
        Optional<Path> dir = directory(args, cli);
        Path ca = file(args, "tls-ca", dir, ClusterTls.CA_FILE, true);
        Path cert = file(args, "tls-cert", dir, ClusterTls.CERT_FILE, false);
        Path key = file(args, "tls-key", dir, ClusterTls.KEY_FILE, false);
        if (ca == null) {
            throw new UsageException("--tls-cert/--tls-key without the cluster's CA (expected: --tls-ca FILE or --tls-dir DIR with ca.pem)");
        }
        try {
            return Optional.of(ClusterTls.fromFiles(ca, cert, key));
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The option's file; else the directory's, if there (required ones always, to say it is missing). */
    private static Path file(Args args, String option, Optional<Path> dir, String name, boolean required) {
        if (args.has(option)) {
            return Path.of(args.value(option, null));
        }
        if (dir.isEmpty()) {
            return null;
        }
        Path inDir = dir.get().resolve(name);
        return required || Files.exists(inDir) ? inDir : null;
    }

    /**
     * What went wrong in words, when a call failed in the TLS handshake or on a plaintext channel to a
     * TLS port; null when {@code failure} is something else.
     */
    static String explain(Throwable failure, HostPort endpoint, Optional<ClusterTls> tls) {
        SSLException ssl = find(failure, SSLException.class);
        if (tls.isEmpty()) {
            // A plaintext call to a TLS port only sees the connection close: ask the port whether it speaks TLS.
            if (find(failure, java.net.ConnectException.class) == null && find(failure, io.grpc.StatusRuntimeException.class) != null
                    && io.grpc.Status.fromThrowable(failure).getCode() == io.grpc.Status.Code.UNAVAILABLE && TlsProbe.speaksTls(endpoint)) {
                return endpoint + " speaks TLS and this command spoke plaintext (expected: --tls-ca FILE or --tls-dir DIR with the"
                        + " cluster's ca.pem; --tls for the local fleet of floe up --tls)";
            }
            return null;
        }
        String ca = tls.get().source();
        CertificateException certificate = find(failure, CertificateException.class);
        if (certificate != null && certificate.getMessage() != null && (certificate.getMessage().startsWith("No subject alternative")
                || certificate.getMessage().startsWith("No name matching"))) {
            return "the certificate of " + endpoint + " does not name " + endpoint.host() + " (expected: one issued for the address"
                    + " dialled: floe tls issue --hosts " + endpoint.host() + ", or dial a name it has)";
        }
        dev.floe.common.tls.CertificateRoleException role = find(failure, dev.floe.common.tls.CertificateRoleException.class);
        if (role != null) {
            return endpoint + " is not this cluster's controller: " + role.getMessage();
        }
        CertPathValidatorException path = find(failure, CertPathValidatorException.class);
        if (find(failure, java.security.cert.CertificateExpiredException.class) != null
                || path != null && path.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
            // Checked before "not trusted": a certificate the CA did sign, only too late, is no matter of the wrong CA.
            return "the certificate of " + endpoint + " has expired (expected: the server restarted with a certificate valid now:"
                    + " floe tls issue makes a new one under the same CA)";
        }
        if (find(failure, java.security.cert.CertificateNotYetValidException.class) != null
                || path != null && path.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "the certificate of " + endpoint + " is not valid yet (expected: this machine's clock and the server's to agree)";
        }
        if (path != null || find(failure, java.security.cert.CertPathBuilderException.class) != null
                || certificate != null) {
            return "the certificate of " + endpoint + " is not trusted: it is not signed by the CA in " + ca
                    + " (expected: --tls-ca FILE or --tls-dir DIR with the cluster's ca.pem, the one floe tls init made)";
        }
        if (ssl != null) {
            String why = ssl.getMessage() == null ? ssl.getClass().getSimpleName()
                    : ssl.getMessage().startsWith("not an SSL/TLS record") ? "it answered in plaintext" : ssl.getMessage();
            return "no TLS handshake with " + endpoint + " (" + why + "; expected: a controller started with --tls-dir or --tls;"
                    + " for a plaintext one, leave out the --tls options)";
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
