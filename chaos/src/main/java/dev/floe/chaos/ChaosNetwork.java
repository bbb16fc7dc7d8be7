package dev.floe.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Where the chaos fleet's processes talk. With namespaces (root and {@code ip netns}): a bridge in the
 * machine's namespace holding the controller's address, and for each worker a network namespace
 * joined to the bridge by a veth pair, on a private /24 picked at random; a worker's link is cut by
 * setting its veth's host end down. Optionally the controller has a namespace of its own too, and the
 * bridge another address, the machine's, from which clients call: each node is then a host apart.
 * Without namespaces, everything is on loopback and links cannot be cut.
 * Names carry a per-run tag, so runs side by side do not collide; {@link #close()} removes everything,
 * and is safe to call after a failure half-way.
 */
public final class ChaosNetwork implements AutoCloseable {
    private final String tag;
    private final int subnet;
    private final boolean namespaces;
    private final boolean controllerApart;
    private final List<String> created = new ArrayList<>();
    private boolean bridgeUp;

    private ChaosNetwork(String tag, int subnet, boolean namespaces, boolean controllerApart) {
        this.tag = tag;
        this.subnet = subnet;
        this.namespaces = namespaces;
        this.controllerApart = namespaces && controllerApart;
    }

    /** Namespaces when {@code wanted} and this machine allows them; loopback otherwise. */
    static ChaosNetwork open(boolean wanted, int workers) throws IOException {
        return open(wanted, workers, false);
    }

    /**
     * As {@link #open(boolean, int)}; with {@code controllerApart}, the controller gets a namespace of
     * its own as well ({@link #inController()}), and the machine reaches every node from the bridge.
     */
    public static ChaosNetwork open(boolean wanted, int workers, boolean controllerApart) throws IOException {
        String tag = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        ChaosNetwork net = new ChaosNetwork(tag, 32 + ThreadLocalRandom.current().nextInt(200), wanted && namespacesWork(),
                controllerApart);
        if (net.namespaces) {
            try {
                net.bridge();
                if (net.controllerApart) {
                    net.namespace(net.controllerNamespace(), net.hostEnd("c"), net.nsEnd("c"), net.controllerHost());
                }
                for (int i = 0; i < workers; i++) {
                    net.workerNamespace(i);
                }
            } catch (IOException | RuntimeException e) {
                net.close();
                throw e;
            }
        }
        return net;
    }

    public boolean namespaces() {
        return namespaces;
    }

    /** The address the controller binds and everyone dials. */
    public String controllerHost() {
        return namespaces ? "10.231." + subnet + ".1" : "127.0.0.1";
    }

    /** The address worker {@code i} listens on and advertises. */
    public String workerHost(int i) {
        return namespaces ? "10.231." + subnet + "." + (i + 2) : "127.0.0.1";
    }

    /**
     * The command prefix that runs a process in worker {@code i}'s namespace (empty on loopback). Not
     * {@code ip netns exec}: it also remounts /sys, which hides the cgroup file systems the worker's
     * sandbox needs; {@code nsenter --net} changes the network namespace only.
     */
    public List<String> inWorker(int i) {
        return namespaces ? List.of("nsenter", "--net=/run/netns/" + namespace(i), "--") : List.of();
    }

    /** The command prefix that runs the controller: in its own namespace if apart, else as is. */
    public List<String> inController() {
        return controllerApart ? List.of("nsenter", "--net=/run/netns/" + controllerNamespace(), "--") : List.of();
    }

    /** Cuts worker {@code i} off: packets stop both ways, connections hang rather than close. */
    void cut(int i) throws IOException {
        requireNamespaces("cut a link");
        ip("link", "set", hostEnd(Integer.toString(i)), "down");
    }

    void restore(int i) throws IOException {
        requireNamespaces("restore a link");
        ip("link", "set", hostEnd(Integer.toString(i)), "up");
    }

    private void requireNamespaces(String what) {
        if (!namespaces) {
            throw new IllegalStateException("cannot " + what + " on loopback (expected: a fleet in network namespaces)");
        }
    }

    private void bridge() throws IOException {
        ip("link", "add", bridgeName(), "type", "bridge");
        bridgeUp = true;
        // The machine's own address on the bridge: the controller's, unless the controller is a host apart.
        ip("addr", "add", (controllerApart ? "10.231." + subnet + ".254" : controllerHost()) + "/24", "dev", bridgeName());
        ip("link", "set", bridgeName(), "up");
    }

    private void workerNamespace(int i) throws IOException {
        namespace(namespace(i), hostEnd(Integer.toString(i)), nsEnd(Integer.toString(i)), workerHost(i));
    }

    /** A namespace joined to the bridge by a veth pair, its end holding {@code address}. */
    private void namespace(String ns, String hostEnd, String nsEnd, String address) throws IOException {
        ip("netns", "add", ns);
        created.add(ns);
        ip("link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd);
        ip("link", "set", nsEnd, "netns", ns);
        ip("link", "set", hostEnd, "master", bridgeName());
        ip("link", "set", hostEnd, "up");
        ip("netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", nsEnd);
        ip("netns", "exec", ns, "ip", "link", "set", nsEnd, "up");
        // The Runtime API lives on loopback inside the namespace.
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }

    private String bridgeName() {
        return "fc" + tag + "br";
    }

    private String namespace(int i) {
        return "floe-chaos-" + tag + "-w" + i;
    }

    private String controllerNamespace() {
        return "floe-chaos-" + tag + "-c";
    }

    private String hostEnd(String node) {
        return "fc" + tag + "h" + node;
    }

    private String nsEnd(String node) {
        return "fc" + tag + "n" + node;
    }

    /** Removes the namespaces (which takes their veth pairs with them) and the bridge. */
    @Override
    public void close() {
        for (String ns : created.reversed()) {
            quietly("netns", "del", ns);
        }
        created.clear();
        if (bridgeUp) {
            quietly("link", "del", bridgeName());
            bridgeUp = false;
        }
    }

    private static void quietly(String... args) {
        try {
            ip(args);
        } catch (IOException e) {
            System.err.println("floe chaos: cleaning up: " + e.getMessage());
        }
    }

    private static boolean namespacesWork() {
        String probe = "floe-chaos-probe-" + ProcessHandle.current().pid();
        try {
            ip("netns", "add", probe);
            try {
                run(List.of("nsenter", "--net=/run/netns/" + probe, "--", "true"));
                return true;
            } finally {
                ip("netns", "del", probe);
            }
        } catch (IOException e) {
            return false;
        }
    }

    static void ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        run(command);
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer in 20 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + output);
        }
    }
}
