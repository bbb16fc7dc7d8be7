package dev.floe.common.tls;

import dev.floe.common.Check;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * What the holder of a certificate may do in the cluster, written into its subject as an
 * organizational unit ({@code OU=floe-worker}) when the CA signs it. The CA signs every certificate
 * alike, so without a role the key taken from one worker could call another worker's port directly,
 * past the controller's admission and placement, or answer a worker as its controller.
 */
public enum CertificateRole {
    /** Serves invocations and registers with the controller ({@code floe tls issue}'s default). */
    WORKER("worker"),
    /** The one peer a worker takes calls from and registers with; {@code floe tls init} and {@code floe up --tls} make it. */
    CONTROLLER("controller"),
    /** Calls the controller's API only: cannot register as a worker nor call one. */
    CLIENT("client");

    private static final String OU_PREFIX = "floe-";

    private final String word;

    CertificateRole(String word) {
        this.word = word;
    }

    /** The role's name as {@code floe tls issue --role} takes it. */
    public String word() {
        return word;
    }

    /** The subject's organizational unit that carries the role: {@code floe-worker}. */
    public String organizationalUnit() {
        return OU_PREFIX + word;
    }

    /** {@code worker}, {@code controller} or {@code client}. */
    public static CertificateRole parse(String word) {
        for (CertificateRole role : values()) {
            if (role.word.equals(word)) {
                return role;
            }
        }
        throw new IllegalArgumentException("role: \"" + word + "\" (expected one of: " + words() + ")");
    }

    /** The role {@code certificate} was issued with; empty for one made before roles (or by another tool): no OU floe-... */
    public static Optional<CertificateRole> of(X509Certificate certificate) {
        Check.notNull("certificate", certificate);
        List<Rdn> rdns;
        try {
            rdns = new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        for (Rdn rdn : rdns) {
            if (rdn.getType().equalsIgnoreCase("OU")) {
                String ou = rdn.getValue().toString().toLowerCase(Locale.ROOT);
                for (CertificateRole role : values()) {
                    if (role.organizationalUnit().equals(ou)) {
                        return Optional.of(role);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Null if {@code certificate} has one of {@code allowed}; else why not, as a sentence for the peer or
     * the log that names the expected role and how to get a certificate with it.
     */
    public static String refusal(X509Certificate certificate, String who, CertificateRole... allowed) {
        Optional<CertificateRole> role = of(certificate);
        if (role.isPresent() && Arrays.asList(allowed).contains(role.get())) {
            return null;
        }
        String expected = Arrays.stream(allowed).map(r -> "role " + r.word).collect(Collectors.joining(" or "));
        String name = ClusterTls.commonName(certificate);
        return who + "'s certificate \"" + name + "\" " + (role.isPresent() ? "has role " + role.get().word
                : "has no role (made before Floe's certificates had roles)") + " (expected: " + expected
                + "; floe tls issue --name " + name + " --role " + allowed[0].word + " makes one)";
    }

    static String words() {
        return Arrays.stream(values()).map(CertificateRole::word).collect(Collectors.joining(", "));
    }
}
