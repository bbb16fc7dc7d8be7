package dev.floe.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chaos fleet's controller and workers, each a {@code floe controller} or {@code floe worker} JVM
 * of its own, the workers inside their namespaces: started with the release's {@code bin/floe} when the
 * harness runs from a release (its launcher sets {@code floe.home}), else with the harness's own Java and
 * class path. A node can
 * be killed with SIGKILL and started again on the same data, as an operator's supervisor would.
 * {@link #close()} stops every node with SIGTERM (so workers remove their environments), and with
 * SIGKILL whatever does not stop in time.
 */
final class FleetProcesses implements AutoCloseable {
    private static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m",
            "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    private final Path dir;
    private final ChaosNetwork net;
    private final List<Integer> controllerPorts;
    private final List<Node> controllers = new ArrayList<>();
    private final List<Node> workers = new ArrayList<>();
    /** Set once closing starts: the harness's thread may still be mid-round, and must not start anything again. */
    private volatile boolean closed;

    /**
     * One controller on SQLite when {@code etcd} is null; else one per port in {@code controllerPorts}, a
     * cluster sharing the etcd at {@code etcd} under a prefix of the run's own.
     */
    FleetProcesses(Path dir, ChaosNetwork net, List<Integer> controllerPorts, String etcd, int workers, int workerMemoryMb,
            int heartbeatTimeoutMs) {
        this.dir = dir;
        this.net = net;
        this.controllerPorts = List.copyOf(controllerPorts);
        String prefix = "/floe-chaos-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "/";
        for (int c = 0; c < controllerPorts.size(); c++) {
            String name = controllerPorts.size() == 1 ? "controller" : "controller-" + c;
            List<String> args = new ArrayList<>(List.of("controller", "--port", Integer.toString(controllerPorts.get(c)),
                    "--host", net.controllerHost(), "--data", dir.resolve(name).toString(),
                    "--heartbeat-timeout", Integer.toString(heartbeatTimeoutMs), "--token-file", tokenFile().toString(),
                    // An attempt lost with its worker is retried after 5 s and then 10 s, not Lambda's 1 and 2 minutes, so a
                    // run settles quickly; yet the retries outlast one fault, as Lambda's do (with 1 s, an invocation could
                    // spend all three attempts on a worker that is being killed or cut off, and never run).
                    "--async-retry-delay", "5",
                    // The Lambda API is not exercised here: any free port, so the default (port + 1) cannot collide.
                    "--lambda-port", "0"));
            if (etcd != null) {
                // A killed controller's functions move within 3 s; it comes back under the same name.
                args.addAll(List.of("--etcd", etcd, "--etcd-prefix", prefix, "--id", "chaos-c" + c, "--lease", "3"));
            }
            controllers.add(new Node(name, List.of(), floe(args.toArray(String[]::new))));
        }
        for (int i = 0; i < workers; i++) {
            this.workers.add(new Node("worker-" + i, net.inWorker(i), floe("worker", "--id", "chaos-w" + i,
                    // The first controller only: a worker learns the others of a cluster from it.
                    "--controller", net.controllerHost() + ":" + controllerPorts.getFirst(), "--memory", Integer.toString(workerMemoryMb),
                    "--listen", net.workerHost(i), "--advertise", net.workerHost(i), "--port", "0",
                    "--data", dir.resolve("worker-" + i).toString(), "--token-file", tokenFile().toString(),
                    // The recording function appends there: the only place of the machine besides /tmp it may write.
                    "--writable", recordsDir().toString())));
        }
    }

    Path tokenFile() {
        return dir.resolve("token");
    }

    /** Where the recording function keeps its records: the directory its workers let functions write. */
    Path recordsDir() {
        return dir.resolve("records");
    }

    /** Every controller's address. */
    List<dev.floe.common.HostPort> endpoints() {
        return controllerPorts.stream().map(p -> new dev.floe.common.HostPort(net.controllerHost(), p)).toList();
    }

    Node controller(int i) {
        return controllers.get(i);
    }

    int controllerCount() {
        return controllers.size();
    }

    Node worker(int i) {
        return workers.get(i);
    }

    int workerCount() {
        return workers.size();
    }

    private static List<String> floe(String... args) {
        List<String> command = new ArrayList<>();
        String home = System.getProperty("floe.home");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "floe"))) {
            command.add(Path.of(home, "bin", "floe").toString());
            command.addAll(List.of(args));
            return command;
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(JVM_FLAGS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.floe.launcher.Floe");
        command.addAll(List.of(args));
        return command;
    }

    @Override
    public void close() {
        closed = true;
        List<Node> all = new ArrayList<>(workers);
        all.addAll(controllers);
        for (Node node : all) {
            node.signalStop();
        }
        for (Node node : all) {
            node.awaitStop();
        }
    }

    /** One process of the fleet, started again on demand. */
    final class Node {
        private final String name;
        private final List<String> command;
        private Process process;

        Node(String name, List<String> prefix, List<String> command) {
            this.name = name;
            List<String> full = new ArrayList<>(prefix);
            full.addAll(command);
            this.command = full;
        }

        String name() {
            return name;
        }

        synchronized void start() throws IOException {
            if (closed) {
                throw new IllegalStateException("the chaos fleet is shutting down: not starting " + name + " again");
            }
            if (process != null && process.isAlive()) {
                throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
            }
            Path log = dir.resolve(name + ".log");
            Files.writeString(log, "--- start\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            // A home of the run's own: the controller keeps its Lambda API key and AWS profile there, not in the user's.
            builder.environment().put("HOME", dir.toString());
            process = builder.start();
        }

        /** SIGKILL, as a crash or the OOM killer would: no shutdown hook runs. */
        synchronized void kill() throws InterruptedException {
            if (process != null) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }

        synchronized boolean alive() {
            return process != null && process.isAlive();
        }

        synchronized void signalStop() {
            if (process != null && process.isAlive()) {
                process.destroy();
            }
        }

        synchronized void awaitStop() {
            if (process == null) {
                return;
            }
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    System.err.println("floe chaos: " + name + " did not stop in 30 s; killing it");
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
