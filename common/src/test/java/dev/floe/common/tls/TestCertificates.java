package dev.floe.common.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Certificates a CA would not issue on the command line, for tests of what nodes and clients make of them. */
public final class TestCertificates {
    private TestCertificates() {}

    /** A node certificate for {@code hosts} that was valid for one day, ten days ago, written to {@code out} as issue does. */
    public static void issueExpired(CertificateAuthority ca, String name, CertificateRole role, List<String> hosts, Path out)
            throws IOException {
        ca.issue(name, role, hosts, out, "-10d", 1);
    }

    /** A certificate as Floe issued them before roles: no OU in its subject. */
    public static void issueWithoutRole(CertificateAuthority ca, String name, List<String> hosts, Path out) throws IOException {
        ca.issue(name, null, hosts, out, null, CertificateAuthority.NODE_DAYS);
    }
}
