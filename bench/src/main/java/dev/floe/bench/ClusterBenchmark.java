package dev.floe.bench;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.UsageException;
import dev.floe.common.ClusterToken;
import dev.floe.common.CodePackages;
import dev.floe.common.HostPort;
import dev.floe.controller.Controller;
import dev.floe.controller.cluster.Etcd;
import dev.floe.controller.cluster.Shards;
import dev.floe.launcher.LocalFleet;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.worker.Worker;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code floe bench-cluster}: what a cluster of controllers costs. Two controllers in this process on the
 * etcd given, one worker linked to both; a warm invocation through the function's owner, through the other
 * controller (one forwarding hop), and through a single SQLite controller with its own worker; asynchronous
 * acceptance into etcd beside bare etcd transactions writing as many keys.
 */
final class ClusterBenchmark {
    private static final byte[] EVENT = "{\"hello\":\"floe\"}".getBytes(StandardCharsets.UTF_8);
    private static final int BATCH = 100;

    private ClusterBenchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench-cluster").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-cluster --etcd URL [--warm N] [--batches N]")
                .summary("a cluster of controllers' warm invoke (owner, forwarded, single controller) and async acceptance beside bare etcd")
                .options(new Args.Spec()
                        .value("etcd", "URL", "an etcd to use, e.g. http://127.0.0.1:2379 (its keys go under a prefix of their own, removed after)")
                        .value("warm", "N", "warm invocations per measure, 10..1000000 (default 2000)")
                        .value("batches", "N", "asynchronous batches of 100 events, 1..100000 (default 50)"))
                .runs(ClusterBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        List<URI> etcd = List.of(URI.create(args.required("etcd", "URL (an etcd, e.g. http://127.0.0.1:2379)")));
        int warm = args.integer("warm", 10, 1_000_000, 2000);
        int batches = args.integer("batches", 1, 100_000, 50);
        String prefix = "/floe-bench-" + UUID.randomUUID() + "/";
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-cluster-");
        PrintStream log = cli.err();
        Path bootstrap = Files.createDirectories(data.resolve("echo")).resolve("bootstrap");
        Files.writeString(bootstrap, Benchmark.example("echo-python"));
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] code = CodePackages.zipDirectory(bootstrap.getParent());
        FunctionConfig config = FunctionConfig.newBuilder().setRuntime("provided").setHandler("echo").build();
        ClusterToken token = ClusterToken.generate();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            Controller a = start(open, etcd, prefix, "a", data, token);
            Controller b = start(open, etcd, prefix, "b", data, token);
            Worker worker = Worker.builder().id("bench-worker").controller(new HostPort("127.0.0.1", a.port())).token(token)
                    .listenHost("127.0.0.1").memoryMb(4096).dataDir(data.resolve("worker")).build().start();
            open.add(worker);
            LocalFleet single = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("single")).workerMemoryMb(4096).start()
                    .awaitRegistered(Duration.ofSeconds(30));
            open.add(single);
            FloeClient toA = FloeClient.connect(new HostPort("127.0.0.1", a.port()), token);
            open.add(toA);
            FloeClient toB = FloeClient.connect(new HostPort("127.0.0.1", b.port()), token);
            open.add(toB);
            FloeClient toSingle = single.client();
            open.add(toSingle);
            log.println("bench-cluster: waiting for both controllers to hold shards and the worker to link to both");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!(worker.controllers().size() == 2 && holders(toA) == 2)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the cluster did not settle within 60 s (is etcd at " + etcd + "?)");
                }
                Thread.sleep(50);
            }
            toA.createFunction("echo", code, config);
            toSingle.createFunction("echo", code, config);
            String owner = ownerOf(toA, "echo");
            FloeClient viaOwner = owner.equals("a") ? toA : toB;
            FloeClient viaOther = owner.equals("a") ? toB : toA;
            InvokeRequest request = InvokeRequest.newBuilder().setFunction("echo").setPayload(ByteString.copyFrom(EVENT)).build();
            long[] owned = new long[warm];
            long[] forwarded = new long[warm];
            long[] alone = new long[warm];
            int warmup = Math.max(2000, warm);
            for (FloeClient c : List.of(viaOwner, viaOther, toSingle)) {
                for (int i = 0; i < warmup; i++) {
                    c.invoke(request);
                }
            }
            int rounds = 10;
            for (int r = 0; r < rounds; r++) {
                int from = warm * r / rounds;
                int to = warm * (r + 1) / rounds;
                time(owned, from, to, () -> viaOwner.invoke(request));
                time(forwarded, from, to, () -> viaOther.invoke(request));
                time(alone, from, to, () -> toSingle.invoke(request));
            }

            List<ByteString> batch = java.util.Collections.nCopies(BATCH, ByteString.copyFrom(EVENT));
            // Reserved concurrency 0: the events wait in the queue, so the figure is the acceptance's alone.
            viaOther.createFunction("queued", code, config);
            viaOther.updateFunction(dev.floe.proto.UpdateFunctionRequest.newBuilder().setName("queued").setReservedConcurrency(0).build());
            long t0 = System.nanoTime();
            for (int i = 0; i < batches; i++) {
                viaOther.invokeQueued("queued", batch);
            }
            double acceptedPerS = (double) batches * BATCH / ((System.nanoTime() - t0) / 1e9);
            double floorPerS = bareEtcd(etcd, prefix + "floor/", batches);

            cli.out().println("a cluster of two controllers on etcd " + etcd.getFirst() + ", one worker; ms, p50 / p99");
            cli.out().printf(Locale.ROOT, "%-58s %9s %9s%n", "", "p50", "p99");
            row(cli, "warm invoke through the owner", owned);
            row(cli, "warm invoke through the other controller (one hop)", forwarded);
            row(cli, "warm invoke through a single SQLite controller (floor)", alone);
            cli.out().printf(Locale.ROOT, "%-58s %9.0f /s%n", "asynchronous events accepted into etcd, " + BATCH + " per call",
                    acceptedPerS);
            cli.out().printf(Locale.ROOT, "%-58s %9.0f /s%n", "bare etcd: the same keys, one transaction per " + BATCH + " (floor)",
                    floorPerS);
            return 0;
        } finally {
            for (AutoCloseable c : open.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.println("bench-cluster: closing: " + e.getMessage());
                }
            }
            try (Etcd cleanup = Etcd.connect(etcd, prefix)) {
                cleanup.transaction().deletePrefix("").commit("removing the benchmark's keys");
            } catch (RuntimeException e) {
                log.println("bench-cluster: could not remove the keys under " + prefix + ": " + e.getMessage());
            }
            dev.floe.common.FileTrees.delete(data);
        }
    }

    private static Controller start(List<AutoCloseable> open, List<URI> etcd, String prefix, String id, Path data, ClusterToken token)
            throws Exception {
        Controller c = Controller.builder().port(0).bindHost("127.0.0.1").lambdaPort(0).dataDir(data.resolve(id)).token(token)
                .etcd(etcd).etcdPrefix(prefix).memberId(id).build().start();
        open.add(c);
        return c;
    }

    private static int holders(FloeClient client) {
        int held = 0;
        int shards = 0;
        for (ControllerStatus s : client.controllers().getControllersList()) {
            held += s.getShardsCount() > 0 ? 1 : 0;
            shards += s.getShardsCount();
        }
        return shards == Shards.COUNT ? held : 0;
    }

    private static String ownerOf(FloeClient client, String function) {
        int shard = Shards.shardOf(function);
        return client.controllers().getControllersList().stream().filter(s -> s.getShardsList().contains(shard))
                .map(s -> s.getMember().getId()).findFirst().orElseThrow();
    }

    /** Events per second that bare etcd takes, writing the keys the queue writes per event (4), one transaction per batch. */
    private static double bareEtcd(List<URI> endpoints, String prefix, int batches) {
        try (Etcd etcd = Etcd.connect(endpoints, prefix)) {
            byte[] value = new byte[120 + EVENT.length];
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                Etcd.Transaction txn = etcd.transaction();
                for (int i = 0; i < BATCH; i++) {
                    String id = UUID.randomUUID().toString();
                    txn.put("inv/" + id, value).put("due/" + id, "f").put("open/f/" + id, "").put("status/1/" + id, "");
                }
                txn.commit("writing the floor's keys");
            }
            double perS = (double) batches * BATCH / ((System.nanoTime() - t0) / 1e9);
            etcd.transaction().deletePrefix("").commit("removing the floor's keys");
            return perS;
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void time(long[] samples, int from, int to, Call call) throws Exception {
        for (int i = from; i < to; i++) {
            long start = System.nanoTime();
            call.run();
            samples[i] = System.nanoTime() - start;
        }
    }

    private static void row(Cli cli, String what, long[] nanos) {
        cli.out().printf(Locale.ROOT, "%-58s %9.3f %9.3f%n", what, Benchmark.p(nanos, 50), Benchmark.p(nanos, 99));
    }
}
