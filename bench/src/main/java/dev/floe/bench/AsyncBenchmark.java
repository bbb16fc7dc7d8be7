package dev.floe.bench;

import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.common.HostPort;
import dev.floe.controller.Controller;
import dev.floe.proto.FunctionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code floe bench-async}: how fast the controller accepts asynchronous invocations (each durably
 * committed before its id is returned), beside the floor: SQLite itself, in the same mode (WAL, full
 * syncs), inserting the same rows in the same transactions on the same disk. A controller without
 * workers, so that nothing runs meanwhile and the figure is the queue's alone.
 */
final class AsyncBenchmark {
    private static final int BATCH = 1000;
    private static final int CALLERS = 64;

    private AsyncBenchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench-async").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-async [--events N] [--singles N]")
                .summary("how fast asynchronous invocations are durably accepted, beside bare SQLite")
                .options(new Args.Spec()
                        .value("events", "N", "events queued in batches, 1000..10000000 (default 20000)")
                        .value("singles", "N", "events queued one call each, 100..1000000 (default 2000)"))
                .runs(AsyncBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        int events = args.integer("events", 1000, 10_000_000, 20_000);
        int singles = args.integer("singles", 100, 1_000_000, 2000);
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-async-");
        try (Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("controller")).build().start();
                FloeClient client = FloeClient.connect(new HostPort("127.0.0.1", controller.port()), controller.token())) {
            client.createFunction("bench", dev.floe.common.CodePackages.zipFiles(java.util.Map.of("bootstrap", "#!/bin/sh\n")),
                    FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").build());
            ByteString payload = ByteString.copyFromUtf8("{\"hello\":\"floe\",\"n\":12345}");
            List<ByteString> batch = java.util.Collections.nCopies(BATCH, payload);
            // Warm up the paths (JIT) before measuring.
            for (int i = 0; i < 3; i++) {
                client.invokeQueued("bench", batch);
            }
            long t0 = System.nanoTime();
            for (int sent = 0; sent < events; sent += BATCH) {
                client.invokeQueued("bench", batch);
            }
            double batchedS = (System.nanoTime() - t0) / 1e9;

            ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
            try {
                long t1 = System.nanoTime();
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < singles; i++) {
                    done.add(callers.submit(() -> client.invokeQueued("bench", List.of(payload))));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                double singleS = (System.nanoTime() - t1) / 1e9;

                double floorBatchedS = sqliteFloor(data.resolve("floor-batched.db"), events, BATCH, payload);
                double floorSingleS = sqliteFloor(data.resolve("floor-single.db"), singles, 1, payload);
                cli.out().println("asynchronous invocations accepted (durable before the id is returned)");
                cli.out().printf(Locale.ROOT, "%-44s %14s %22s%n", "", "floe", "floor (bare SQLite)");
                cli.out().printf(Locale.ROOT, "%-44s %10.0f /s %18.0f /s%n",
                        events + " events, " + BATCH + " per call (--payload-lines)", events / batchedS, events / floorBatchedS);
                cli.out().printf(Locale.ROOT, "%-44s %10.0f /s %18.0f /s%n",
                        singles + " single events from " + CALLERS + " callers", singles / singleS, singles / floorSingleS);
                cli.out().println("(the single-event floor commits each row alone; Floe commits what arrives together in one transaction)");
            } finally {
                callers.shutdownNow();
            }
        } finally {
            dev.floe.common.FileTrees.delete(data);
        }
        return 0;
    }

    /** Seconds for SQLite to insert {@code rows} rows like the queue's, {@code perTransaction} per commit. */
    private static double sqliteFloor(Path file, int rows, int perTransaction, ByteString payload) throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE q (id TEXT PRIMARY KEY, function TEXT, qualifier TEXT, payload BLOB, status INTEGER,"
                        + " accepted_ms INTEGER, updated_ms INTEGER, next_ms INTEGER)");
                // The queue's indexes, so the floor does the same work per row.
                s.execute("CREATE INDEX q_due ON q(next_ms) WHERE status IN (1, 4)");
                s.execute("CREATE INDEX q_by_function ON q(function, status, accepted_ms)");
            }
            db.setAutoCommit(false);
            byte[] bytes = payload.toByteArray();
            long t0 = System.nanoTime();
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO q VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < rows; i++) {
                    long now = System.currentTimeMillis();
                    insert.setString(1, UUID.randomUUID().toString());
                    insert.setString(2, "bench");
                    insert.setString(3, "");
                    insert.setBytes(4, bytes);
                    insert.setInt(5, 1);
                    insert.setLong(6, now);
                    insert.setLong(7, now);
                    insert.setLong(8, now);
                    insert.addBatch();
                    if ((i + 1) % perTransaction == 0 || i == rows - 1) {
                        insert.executeBatch();
                        db.commit();
                    }
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
