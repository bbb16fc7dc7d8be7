package dev.floe.common.tls;

import dev.floe.common.Check;
import dev.floe.common.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A cluster's certificate authority: a CA key and certificate kept in a directory ({@code ca.pem},
 * {@code ca-key.pem}, 0600), and the node certificates it signs, each for the names and addresses
 * its peers dial (subject alternative names). The keys are EC P-256, made and signed by the JDK's
 * {@code keytool} (always there, unlike openssl); the private keys are then written as PKCS#8 PEM.
 */
public final class CertificateAuthority {
    public static final String CA_KEY_FILE = "ca-key.pem";
    /** The CA's lifetime; a node certificate's is shorter, so nodes can be reissued under the same CA. */
    static final int CA_DAYS = 3650;
    static final int NODE_DAYS = 825;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern DNS_NAME = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*");
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** The names of this machine's loopback, which the command line adds to every certificate so local use needs no extra names. */
    public static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "::1");

    private final Path dir;
    private final PrivateKey key;
    private final X509Certificate certificate;

    private CertificateAuthority(Path dir, PrivateKey key, X509Certificate certificate) {
        this.dir = dir;
        this.key = key;
        this.certificate = certificate;
    }

    /** Makes a new CA in {@code dir} (created if needed); refuses if one is there already. */
    public static CertificateAuthority create(Path dir) throws IOException {
        Check.notNull("dir", dir);
        Path caFile = dir.resolve(ClusterTls.CA_FILE);
        Path keyFile = dir.resolve(CA_KEY_FILE);
        if (Files.exists(caFile) || Files.exists(keyFile)) {
            throw new IOException(dir + " already holds a CA (expected: a new directory; floe tls issue signs with the CA there)");
        }
        Files.createDirectories(dir);
        try (Scratch scratch = new Scratch()) {
            Path store = scratch.file("ca.p12");
            scratch.keytool("-genkeypair", "-keystore", store.toString(), "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=Floe cluster CA " + HexFormat.of().formatHex(random(4)), "-validity", String.valueOf(CA_DAYS),
                    "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign");
            KeyStore.PrivateKeyEntry entry = scratch.entry(store, "ca");
            X509Certificate cert = (X509Certificate) entry.getCertificate();
            Pem.write(keyFile, Pem.encode("PRIVATE KEY", entry.getPrivateKey().getEncoded()), "rw-------", false);
            Pem.write(caFile, Pem.encode(List.of(cert)), "rw-r--r--", false);
            return new CertificateAuthority(dir, entry.getPrivateKey(), cert);
        }
    }

    /** The CA kept in {@code dir} by {@link #create}. */
    public static CertificateAuthority open(Path dir) throws IOException {
        Check.notNull("dir", dir);
        if (!Files.exists(dir.resolve(CA_KEY_FILE))) {
            throw new IOException(dir + ": no CA key " + CA_KEY_FILE + " (expected: the directory floe tls init made)");
        }
        return new CertificateAuthority(dir, Pem.privateKey(dir.resolve(CA_KEY_FILE)), Pem.certificates(dir.resolve(ClusterTls.CA_FILE)).getFirst());
    }

    /**
     * A CA and a certificate with role {@code controller} for {@code hosts} and loopback in {@code dir}, made on the first call and
     * read on later ones: what {@code floe up --tls} keeps in {@code ~/.floe/tls}, where the controller and its local workers
     * share the one certificate. One made there before certificates had roles is issued again under the same CA (workers
     * would refuse it as their controller's).
     */
    public static ClusterTls initialize(Path dir, String name, List<String> hosts) throws IOException {
        Path keyFile = dir.resolve(ClusterTls.KEY_FILE);
        if (Files.exists(keyFile) && Files.exists(dir.resolve(CA_KEY_FILE))
                && CertificateRole.of(Pem.certificates(dir.resolve(ClusterTls.CERT_FILE)).getFirst()).isEmpty()) {
            Files.delete(keyFile);
        }
        if (!Files.exists(keyFile)) {
            CertificateAuthority ca = Files.exists(dir.resolve(CA_KEY_FILE)) ? open(dir) : create(dir);
            List<String> all = new ArrayList<>(hosts);
            all.addAll(LOOPBACK);
            ca.issue(name, CertificateRole.CONTROLLER, all, dir);
        }
        return ClusterTls.fromDirectory(dir);
    }

    public Path directory() {
        return dir;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Signs a new key for node {@code name} with {@code role} (the subject's OU, {@link CertificateRole}), good for {@code hosts} (names and IP addresses, exactly
     * those: peers check the one they dial), and writes {@code ca.pem}, {@code cert.pem} (the node's certificate, then the
     * CA's) and {@code key.pem} (0600) into {@code out}: a directory to give as {@code --tls-dir}.
     * Refuses to overwrite a key.
     */
    public void issue(String name, CertificateRole role, List<String> hosts, Path out) throws IOException {
        issue(name, Check.notNull("role", role), hosts, out, null, NODE_DAYS);
    }

    /**
     * As {@link #issue(String, CertificateRole, List, Path)}, valid for {@code days} from {@code startDate} (keytool's {@code
     * -startdate}, null: now); a null {@code role} makes a certificate as Floe made them before roles, for tests.
     */
    void issue(String name, CertificateRole role, List<String> hosts, Path out, String startDate, int days) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: \"" + name + "\" (expected: 1 to 64 letters, digits, '.', '_' or '-')");
        }
        String san = subjectAlternativeNames(hosts);
        Path keyFile = out.resolve(ClusterTls.KEY_FILE);
        if (Files.exists(keyFile)) {
            throw new IOException(keyFile + " already exists (expected: a directory without a key; Floe does not overwrite keys)");
        }
        Files.createDirectories(out);
        try (Scratch scratch = new Scratch()) {
            Path caStore = scratch.file("ca.p12");
            scratch.store(caStore, "ca", key, certificate);
            Path nodeStore = scratch.file("node.p12");
            scratch.keytool("-genkeypair", "-keystore", nodeStore.toString(), "-alias", "node", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=" + name + (role != null ? ",OU=" + role.organizationalUnit() : ""));
            Path request = scratch.file("node.csr");
            scratch.keytool("-certreq", "-keystore", nodeStore.toString(), "-alias", "node", "-file", request.toString());
            Path signed = scratch.file("node.pem");
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-keystore", caStore.toString(), "-alias", "ca", "-infile",
                    request.toString(), "-outfile", signed.toString(), "-rfc", "-validity", String.valueOf(days), "-ext", "san=" + san,
                    "-ext", "ku:c=digitalSignature,keyEncipherment", "-ext", "eku=serverAuth,clientAuth"));
            if (startDate != null) {
                gencert.addAll(List.of("-startdate", startDate));
            }
            scratch.keytool(gencert.toArray(String[]::new));
            List<X509Certificate> chain = new ArrayList<>(Pem.certificates(signed));
            chain.add(certificate);
            PrivateKey nodeKey = scratch.entry(nodeStore, "node").getPrivateKey();
            Pem.write(keyFile, Pem.encode("PRIVATE KEY", nodeKey.getEncoded()), "rw-------", false);
            Pem.write(out.resolve(ClusterTls.CERT_FILE), Pem.encode(chain), "rw-r--r--", true);
            if (!out.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
                Pem.write(out.resolve(ClusterTls.CA_FILE), Pem.encode(List.of(certificate)), "rw-r--r--", true);
            }
        }
    }

    /** Refuses a host that is neither a DNS name nor an IP address, saying which. */
    public static void checkHosts(List<String> hosts) {
        subjectAlternativeNames(hosts);
    }

    /** keytool's SAN extension value: {@code dns:NAME} and {@code ip:ADDRESS} for each host. */
    static String subjectAlternativeNames(List<String> hosts) {
        Check.notNull("hosts", hosts);
        LinkedHashSet<String> all = new LinkedHashSet<>();
        for (String host : hosts) {
            String h = host.strip();
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            if (h.isEmpty()) {
                continue;
            }
            if (IP_LITERAL.matcher(h).matches()) {
                try {
                    // A literal is parsed without a lookup; a malformed one fails here.
                    all.add("ip:" + InetAddress.ofLiteral(h).getHostAddress());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("hosts: \"" + host + "\" (expected: a host name or an IP address)");
                }
            } else if (DNS_NAME.matcher(h).matches() && h.length() <= 253) {
                all.add("dns:" + h.toLowerCase(java.util.Locale.ROOT));
            } else {
                throw new IllegalArgumentException("hosts: \"" + host + "\" (expected: a host name or an IP address)");
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("hosts: none (expected: the names and addresses peers dial the node at)");
        }
        return String.join(",", all);
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** A private directory for keytool's keystores, with a random password; deleted on close. */
    private static final class Scratch implements AutoCloseable {
        private final Path dir;
        private final char[] password;

        Scratch() throws IOException {
            dir = Files.createTempDirectory("floe-tls-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(random(18)).toCharArray();
        }

        Path file(String name) {
            return dir.resolve(name);
        }

        void keytool(String... args) throws IOException {
            Path tool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            List<String> command = new ArrayList<>(List.of(tool.toString()));
            command.addAll(List.of(args));
            // The password reaches keytool through its environment, not its command line, which others can read.
            command.addAll(List.of("-storetype", "PKCS12", "-storepass:env", "FLOE_TLS_STOREPASS", "-noprompt"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("FLOE_TLS_STOREPASS", new String(password));
            Process process = builder.start();
            try (InputStream output = process.getInputStream()) {
                String text = new String(output.readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    throw new IOException("keytool " + args[0] + ": no answer within 60 s");
                }
                if (process.exitValue() != 0) {
                    throw new IOException("keytool " + args[0] + " failed (exit " + process.exitValue() + "): " + text.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("keytool " + args[0] + ": interrupted", e);
            } finally {
                process.destroyForcibly();
            }
        }

        KeyStore.PrivateKeyEntry entry(Path store, String alias) throws IOException {
            try (InputStream in = Files.newInputStream(store)) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(in, password);
                return (KeyStore.PrivateKeyEntry) keys.getEntry(alias, new KeyStore.PasswordProtection(password));
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot read keytool's keystore " + store + ": " + e.getMessage(), e);
            }
        }

        void store(Path store, String alias, PrivateKey key, X509Certificate certificate) throws IOException {
            try {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry(alias, key, password, new Certificate[] {certificate});
                try (var out = Files.newOutputStream(store)) {
                    keys.store(out, password);
                }
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot write a keystore for keytool: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            FileTrees.delete(dir);
        }
    }
}
