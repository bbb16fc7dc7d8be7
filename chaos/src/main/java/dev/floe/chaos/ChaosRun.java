package dev.floe.chaos;

import dev.floe.client.FloeClient;
import dev.floe.client.cli.Progress;
import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.CodePackages;
import dev.floe.common.HostPort;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * One chaos run: starts the fleet in its own processes (and namespaces), deploys the recording
 * function, starts the loads, plays {@code rounds} rounds of faults, then stops the loads, checks the
 * fleet is whole again, and counts from the function's records. Each round: SIGKILL a worker and
 * start it again; cut a worker's link past the heartbeat timeout and restore it (in namespaces);
 * SIGKILL the controller and start it again. Beside the synchronous callers, an asynchronous load (on
 * by default) queues invocations throughout; once the loads stop it waits for each accepted one to be
 * final in the queue, and the records must show every one of them. Everything it started is stopped and removed at the end,
 * on failure too.
 */
public final class ChaosRun {
    static final String FUNCTION = "chaos-recorder";

    private final Builder b;
    private final List<String> actions = new ArrayList<>();
    private final long startNanos = System.nanoTime();

    private ChaosRun(Builder b) {
        this.b = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs the whole scenario and returns what it counted; prints progress to the builder's output. */
    public ChaosReport run() throws IOException, InterruptedException {
        Files.createDirectories(b.dataDir.resolve("records"));
        try (ChaosNetwork net = ChaosNetwork.open(b.namespaces, b.workers);
             FleetProcesses fleet = new FleetProcesses(b.dataDir, net, freePorts(net, b.controllers), b.etcd, b.workers, 1024,
                     b.heartbeatTimeoutMs)) {
            // Should the harness itself be stopped (Ctrl-C, a CI timeout), its processes and namespaces go too.
            Thread cleanup = Thread.ofPlatform().name("floe-chaos-cleanup").unstarted(() -> {
                fleet.close();
                net.close();
            });
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                return play(net, fleet);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or will: it cleans up
                }
            }
        }
    }

    private ChaosReport play(ChaosNetwork net, FleetProcesses fleet) throws IOException, InterruptedException {
        act("network: " + (net.namespaces() ? "each worker in its own network namespace, veth pairs to a bridge at "
                + net.controllerHost() : "loopback (no namespaces here: links cannot be cut)"));
        fleet.controller(0).start();
        await(Duration.ofSeconds(60), "the controller writes the cluster token", () -> Files.exists(fleet.tokenFile()));
        // The others after the token is written: they read it rather than race to make one each.
        for (int c = 1; c < fleet.controllerCount(); c++) {
            fleet.controller(c).start();
        }
        if (fleet.controllerCount() > 1) {
            act("a cluster of " + fleet.controllerCount() + " controllers on etcd " + b.etcd);
        }
        ClusterToken token = ClusterToken.read(fleet.tokenFile());
        List<HostPort> endpoint = fleet.endpoints();
        try (FloeClient client = FloeClient.connect(endpoint, token)) {
            for (int i = 0; i < b.workers; i++) {
                fleet.worker(i).start();
            }
            awaitWorkers(client, b.workers);
            Path records = deploy(client);
            act("deployed " + FUNCTION + " and started " + b.workers + " workers");
            AtomicLong sequences = new AtomicLong();
            List<Tally> tallies = new ArrayList<>();
            List<String> duplicates = new ArrayList<>();
            try {
                for (Load load : b.loads) {
                    load.start(endpoint, token, FUNCTION, sequences::incrementAndGet);
                }
                for (int round = 0; round < b.rounds; round++) {
                    b.progress.what("chaos: rounds of faults played").at(round, b.rounds);
                    playRound(round, fleet, net, client, duplicates);
                }
                b.progress.what("chaos: the load runs on an undisturbed fleet").at(-1, -1);
                pause(b.settle); // the load runs on an undisturbed fleet once more before it stops
            } finally {
                // on a failure half-way too: no caller may keep calling a fleet that is being torn down
                for (Load load : b.loads) {
                    tallies.add(load.stop());
                }
            }
            act("loads stopped" + (b.asyncPerSecond > 0 ? "; every accepted asynchronous invocation final in the queue"
                    + " (or counted as hung)" : ""));
            awaitWorkers(client, b.workers);
            int healthy = healthCheck(client);
            duplicates.addAll(duplicateEnvironments(client));
            return new ChaosReport(List.copyOf(actions), tallies, Records.read(records), healthy, duplicates);
        }
    }

    private void playRound(int round, FleetProcesses fleet, ChaosNetwork net, FloeClient client, List<String> duplicates)
            throws IOException, InterruptedException {
        pause(b.settle);
        FleetProcesses.Node victim = fleet.worker(round % b.workers);
        victim.kill();
        act("round " + (round + 1) + ": SIGKILL " + victim.name());
        pause(b.settle);
        victim.start();
        awaitWorkers(client, b.workers);
        act("round " + (round + 1) + ": " + victim.name() + " started again and registered");

        if (net.namespaces()) {
            int cut = (round + 1) % b.workers;
            net.cut(cut);
            act("round " + (round + 1) + ": cut worker-" + cut + "'s link");
            pause(Duration.ofMillis(b.heartbeatTimeoutMs).plus(b.settle));
            net.restore(cut);
            act("round " + (round + 1) + ": restored worker-" + cut + "'s link");
            awaitWorkers(client, b.workers);
            List<String> found = duplicateEnvironments(client);
            duplicates.addAll(found);
            act("round " + (round + 1) + ": worker-" + cut + " rejoined; duplicate environments: " + found.size());
        }

        FleetProcesses.Node controller = fleet.controller(round % fleet.controllerCount());
        controller.kill();
        act("round " + (round + 1) + ": SIGKILL " + controller.name());
        pause(b.settle.dividedBy(2));
        controller.start();
        awaitWorkers(client, b.workers);
        act("round " + (round + 1) + ": " + controller.name() + " started again; every worker re-registered");
    }

    private Path deploy(FloeClient client) throws IOException {
        Path records = b.dataDir.resolve("records").resolve("records.log");
        Files.deleteIfExists(records);
        Files.createFile(records);
        // The function runs as a user of its own: it may append here, and nowhere else of ours. It must be able
        // to reach the file too: a data directory made by createTempDirectory is rwx------.
        Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rw-rw-rw-"));
        Set<PosixFilePermission> dirModes = new HashSet<>(Files.getPosixFilePermissions(b.dataDir));
        dirModes.addAll(Set.of(PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
        Files.setPosixFilePermissions(b.dataDir, dirModes);
        byte[] code;
        try (InputStream in = ChaosRun.class.getResourceAsStream("recorder.py")) {
            code = CodePackages.zipFiles(Map.of("bootstrap", new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        client.createFunction(FUNCTION, code, FunctionConfig.newBuilder().setRuntime("provided").setHandler("recorder")
                .setMemoryMb(128).setTimeoutSeconds(3).putEnvironment("CHAOS_RECORDS", records.toString()).build());
        return records;
    }

    /** After the faults: a few calls in a row must all complete. */
    private int healthCheck(FloeClient client) {
        int ok = 0;
        for (int i = 0; i < 5; i++) {
            try {
                InvokeResponse r = client.invoke(FUNCTION, "{\"seq\":0}".getBytes(StandardCharsets.UTF_8), false);
                if (r.getFunctionError().isEmpty()) {
                    ok++;
                }
            } catch (RuntimeException e) {
                act("health check call failed: " + e.getMessage());
            }
        }
        act("after the faults: " + ok + " of 5 calls in a row completed");
        return ok;
    }

    private static List<String> duplicateEnvironments(FloeClient client) {
        return duplicates(client.environments(), client.workers());
    }

    /** Environments listed twice, two live ones with one process on one worker, and workers listed twice. */
    static List<String> duplicates(List<Environment> all, List<Worker> fleetView) {
        List<String> found = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> processes = new HashSet<>();
        for (Environment e : all) {
            if (!ids.add(e.getId())) {
                found.add("environment " + e.getId() + " listed twice");
            }
            if (e.getState() != Environment.State.RETIRED && e.getPid() > 0 && !processes.add(e.getWorkerId() + "/" + e.getPid())) {
                found.add("two environments on " + e.getWorkerId() + " with process " + e.getPid());
            }
        }
        Map<String, Long> workers = fleetView.stream().collect(Collectors.groupingBy(w -> w.getId(), Collectors.counting()));
        workers.forEach((id, n) -> {
            if (n > 1) {
                found.add("worker " + id + " listed " + n + " times");
            }
        });
        return found;
    }

    private void awaitWorkers(FloeClient client, int n) {
        await(Duration.ofSeconds(60), n + " workers in the fleet view", () -> {
            try {
                return client.workers().size() == n;
            } catch (RuntimeException controllerNotUpYet) {
                return false;
            }
        });
    }

    private void act(String what) {
        String line = String.format("%7.1fs  %s", (System.nanoTime() - startNanos) / 1e9, what);
        actions.add(line);
        b.progress.println(b.out, line);
    }

    private static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("not within " + timeout.toSeconds() + " s: " + what);
            }
            pause(Duration.ofMillis(100));
        }
    }

    /** The harness's own pacing between faults (a program, not a test waiting for a condition). */
    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static List<Integer> freePorts(ChaosNetwork net, int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                held.add(new ServerSocket(0, 1, java.net.InetAddress.getByName(net.controllerHost())));
            }
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    public static final class Builder {
        private int workers = 2;
        private int rounds = 1;
        private Progress progress = Progress.start(System.err, "", false);
        private boolean namespaces = true;
        private Path dataDir;
        private PrintStream out = System.out;
        private Duration settle = Duration.ofSeconds(3);
        private int heartbeatTimeoutMs = 2_000;
        private final List<Load> loads = new ArrayList<>();
        private int callers = 4;
        private int asyncPerSecond = 20;
        private int controllers = 1;
        private String etcd;

        /**
         * A cluster of {@code controllers} sharing the etcd at {@code etcd} (URL[,URL...]); each round kills one
         * of them in turn. Default one controller on SQLite.
         */
        public Builder controllers(int controllers, String etcd) {
            this.controllers = Check.range("controllers", controllers, 1, 5);
            if (controllers > 1 && (etcd == null || etcd.isBlank())) {
                throw new IllegalArgumentException("etcd: none (expected: an etcd URL for a cluster of " + controllers + " controllers)");
            }
            this.etcd = controllers > 1 ? etcd : null;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = Check.range("workers", workers, 2, 16);
            return this;
        }

        /** Where to show how far the run is (a line on a terminal); default nowhere. */
        public Builder progress(Progress progress) {
            this.progress = Check.notNull("progress", progress);
            return this;
        }

        public Builder rounds(int rounds) {
            this.rounds = Check.range("rounds", rounds, 1, 10_000);
            return this;
        }

        public Builder callers(int callers) {
            this.callers = Check.range("callers", callers, 1, 256);
            return this;
        }

        /** Asynchronous invocations queued per second during the run (default 20); 0 for none. */
        public Builder asyncPerSecond(int asyncPerSecond) {
            this.asyncPerSecond = Check.range("asyncPerSecond", asyncPerSecond, 0, 10_000);
            return this;
        }

        /** Workers in network namespaces when the machine allows it (default); loopback otherwise. */
        public Builder namespaces(boolean namespaces) {
            this.namespaces = namespaces;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = Check.notNull("dataDir", dataDir);
            return this;
        }

        public Builder out(PrintStream out) {
            this.out = Check.notNull("out", out);
            return this;
        }

        /** How long the load runs undisturbed between faults. */
        public Builder settle(Duration settle) {
            this.settle = Check.notNull("settle", settle);
            return this;
        }

        /** A further kind of load beside the synchronous and asynchronous ones. */
        Builder load(Load load) {
            loads.add(Check.notNull("load", load));
            return this;
        }

        public ChaosRun build() {
            Check.notNull("dataDir", dataDir);
            loads.addFirst(new SyncLoad(callers, Duration.ofSeconds(60), 20));
            if (asyncPerSecond > 0) {
                // in batches five times a second (or one at a time, more slowly): a steady stream, not a burst per fault
                int batch = Math.max(1, asyncPerSecond / 5);
                loads.add(new AsyncLoad(batch, Duration.ofNanos(1_000_000_000L * batch / asyncPerSecond), Duration.ofSeconds(120), 20));
            }
            return new ChaosRun(this);
        }
    }
}
