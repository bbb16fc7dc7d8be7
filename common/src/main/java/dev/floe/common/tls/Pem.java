package dev.floe.common.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM files: X.509 certificates and PKCS#8 private keys, read with errors that name the file, written atomically. */
final class Pem {
    private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private Pem() {}

    /** Every certificate in {@code file}, in order (a node's own first, then its issuers). */
    static List<X509Certificate> certificates(Path file) throws IOException {
        byte[] bytes = read(file, "certificate");
        try {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes)).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certificates.isEmpty()) {
                throw new IOException(file + ": no certificate (expected: PEM, -----BEGIN CERTIFICATE-----)");
            }
            return certificates;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a certificate (expected: PEM, -----BEGIN CERTIFICATE-----): " + e.getMessage(), e);
        }
    }

    /** The unencrypted PKCS#8 private key in {@code file}, EC or RSA. */
    static PrivateKey privateKey(Path file) throws IOException {
        String text = new String(read(file, "private key"), StandardCharsets.US_ASCII);
        Matcher m = KEY.matcher(text);
        if (!m.find()) {
            String found = text.contains("BEGIN EC PRIVATE KEY") || text.contains("BEGIN RSA PRIVATE KEY") ? " (found a traditional"
                    + " OpenSSL key: convert it with openssl pkcs8 -topk8 -nocrypt)"
                    : text.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (found an encrypted key: Floe reads unencrypted ones, kept 0600)" : "";
            throw new IOException(file + ": no private key (expected: PEM, -----BEGIN PRIVATE KEY-----, unencrypted PKCS#8)" + found);
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException wrongAlgorithm) {
                // try the next
            }
        }
        throw new IOException(file + ": unreadable private key (expected: an EC, RSA or Ed25519 key in PKCS#8)");
    }

    private static byte[] read(Path file, String what) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot read the " + what + " " + file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static String encode(List<? extends Certificate> certificates) throws IOException {
        StringBuilder out = new StringBuilder();
        for (Certificate c : certificates) {
            try {
                out.append(encode("CERTIFICATE", c.getEncoded()));
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot encode a certificate: " + e.getMessage(), e);
            }
        }
        return out.toString();
    }

    /**
     * Writes {@code text} to {@code file} through a sibling made with {@code permissions} from the
     * start, so a private key is never readable by others, not even for a moment. Refuses to replace a
     * file unless {@code replace}.
     */
    static void write(Path file, String text, String permissions, boolean replace) throws IOException {
        if (!replace && Files.exists(file)) {
            throw new FileAlreadyExistsException(file + " (expected: a file that is not there yet; Floe does not overwrite keys)");
        }
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        try {
            Files.writeString(partial, text, StandardCharsets.US_ASCII);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
