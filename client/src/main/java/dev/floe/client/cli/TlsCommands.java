package dev.floe.client.cli;

import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code floe tls init} (a cluster CA and the first node's certificate in one directory) and
 * {@code floe tls issue} (another node's certificate, signed by that CA, in a directory of its own to
 * copy to the node). {@code init}'s certificate has role controller, {@code issue}'s worker unless {@code --role} says
 * otherwise ({@link CertificateRole}). Every certificate is also good for loopback, for commands on the node itself.
 */
final class TlsCommands {
    private final Cli cli;

    TlsCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe tls init} and {@code floe tls issue}. */
    static FloeCommand command() {
        return FloeCommand.named("tls").section(FloeCommand.Section.SECURITY)
                .summary("the cluster's CA and its nodes' certificates, for mutual TLS between controller, workers and clients")
                .subcommand(FloeCommand.named("init").synopsis("tls init --dir DIR [--hosts H1,IP2,...] [--name NAME]")
                        .summary("a cluster CA and the controller's certificate (default hosts: this host name)")
                        .options(new Args.Spec()
                                .value("dir", "DIR", "where the CA (ca.pem, ca-key.pem) and the controller's cert.pem and key.pem go")
                                .value("hosts", "H1,IP2,...", "the names and addresses peers dial the controller at;"
                                        + " loopback is added (default: this host name)")
                                .value("name", "NAME", "the controller's name in its certificate (default controller)"))
                        .runs((args, cli) -> new TlsCommands(cli).init(args)).build())
                .subcommand(FloeCommand.named("issue")
                        .synopsis("tls issue --dir DIR --name NODE --hosts H1,IP2,... [--out OUT] [--role worker|controller|client]")
                        .summary("another node's certificate (default role worker), signed by DIR's CA, in OUT (default DIR/NODE)")
                        .options(new Args.Spec()
                                .value("dir", "DIR", "the directory floe tls init made")
                                .value("name", "NODE", "the node's name; a worker started without --id takes it as its id")
                                .value("hosts", "H1,IP2,...", "the names and addresses peers dial the node at; loopback is added")
                                .value("out", "OUT", "where the node's ca.pem, cert.pem and key.pem go (default DIR/NODE)")
                                .value("role", "ROLE", "worker (default), controller or client: what the certificate may do"))
                        .runs((args, cli) -> new TlsCommands(cli).issue(args)).build())
                .build();
    }

    private int init(Args args) throws IOException {
        args.positional(0, "no arguments");
        Path dir = Path.of(args.required("dir", "DIR (where the CA and this node's certificate go)"));
        String name = args.value("name", "controller");
        List<String> hosts = hosts(args);
        CertificateAuthority ca = CertificateAuthority.create(dir);
        ca.issue(name, CertificateRole.CONTROLLER, hosts, dir);
        cli.out().println("CA and controller certificate for " + name + " (" + String.join(", ", hosts) + ") in " + dir + ":");
        cli.out().println("  " + ClusterTls.CA_FILE + "     the cluster's CA certificate: every node and client needs a copy");
        cli.out().println("  " + CertificateAuthority.CA_KEY_FILE + " the CA's key (0600): keep it here; floe tls issue signs with it");
        cli.out().println("  " + ClusterTls.CERT_FILE + ", " + ClusterTls.KEY_FILE + " (0600)  this node's: floe controller --tls-dir " + dir);
        cli.out().println("Next: floe tls issue --dir " + dir + " --name WORKER --hosts ADDRESS, for each worker.");
        return 0;
    }

    private int issue(Args args) throws IOException {
        args.positional(0, "no arguments");
        Path dir = Path.of(args.required("dir", "DIR (the directory floe tls init made)"));
        String name = args.required("name", "NODE (the node's name, e.g. its host name)");
        CertificateRole role;
        try {
            role = CertificateRole.parse(args.value("role", CertificateRole.WORKER.word()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        List<String> hosts = hosts(args);
        Path out = Path.of(args.value("out", dir.resolve(name).toString()));
        try {
            CertificateAuthority.open(dir).issue(name, role, hosts, out);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        cli.out().println(role.word() + " certificate for " + name + " (" + String.join(", ", hosts) + ") in " + out
                + ": copy the directory to the node and give it --tls-dir (its key.pem is 0600)");
        return 0;
    }

    /** --hosts h1,ip2,...; default this machine's host name. */
    private static List<String> hosts(Args args) {
        List<String> hosts = new ArrayList<>();
        if (args.has("hosts")) {
            Arrays.stream(args.value("hosts", "").split(",")).map(String::strip).filter(h -> !h.isEmpty()).forEach(hosts::add);
        } else {
            hosts.add(localHostName());
        }
        hosts.addAll(CertificateAuthority.LOOPBACK);
        try {
            // Checked here, so a typo is a usage error before any key is made.
            CertificateAuthority.checkHosts(hosts);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        return hosts;
    }

    static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
