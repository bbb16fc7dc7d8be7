package dev.floe.controller.async;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiFunction;

/**
 * One thread that owns a SQLite connection's writes and commits whatever has gathered in one
 * transaction (group commit). SQLite lets one writer in at a time and each commit costs a sync, so a
 * thousand callers writing at the same moment pay for a few syncs, not a thousand. Each write runs in
 * its own savepoint: one that fails is rolled back alone and the others in the batch stand.
 */
final class GroupCommitWriter implements AutoCloseable {
    /** Writes gathered into one transaction at most. */
    private static final int MAX_BATCH = 256;

    /** A piece of work run inside a transaction shared with other writes. */
    interface Write<T> {
        T run(Connection db) throws SQLException;
    }

    private record Op<T>(Write<T> work, CompletableFuture<T> result) {}

    private final Connection db;
    private final BiFunction<String, SQLException, FloeException> failure;
    private final BlockingQueue<Op<?>> pending = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    /** Takes over {@code db} (closing it with the writer) and starts the thread, named {@code threadName}. */
    GroupCommitWriter(Connection db, String threadName, BiFunction<String, SQLException, FloeException> failure) throws SQLException {
        this.db = db;
        this.failure = failure;
        // Transactions are begun by hand, each with BEGIN IMMEDIATE: the driver's own (autocommit off)
        // would begin the next one at once after each commit, and an immediate one would then hold
        // the write lock while this writer sits idle.
        db.setAutoCommit(true);
        this.thread = Thread.ofPlatform().name(threadName).daemon().start(this::loop);
    }

    /** Runs {@code work} on the writer thread and waits until its transaction is committed; throws what it threw. */
    <T> T write(Write<T> work) {
        if (closed) {
            throw closedError();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        pending.add(new Op<>(work, result));
        if (closed) {
            // close() may have drained the queue before this op arrived: make sure it is answered.
            failRemaining();
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    private void loop() {
        List<Op<?>> batch = new ArrayList<>();
        while (!closed) {
            try {
                batch.add(pending.take());
            } catch (InterruptedException e) {
                break;
            }
            pending.drainTo(batch, MAX_BATCH - 1);
            runBatch(batch);
            batch.clear();
        }
        failRemaining();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runBatch(List<Op<?>> batch) {
        Object[] values = new Object[batch.size()];
        RuntimeException[] failures = new RuntimeException[batch.size()];
        try (Statement sql = db.createStatement()) {
            sql.execute("BEGIN IMMEDIATE");
            try {
                for (int i = 0; i < batch.size(); i++) {
                    sql.execute("SAVEPOINT op");
                    try {
                        values[i] = batch.get(i).work().run(db);
                        sql.execute("RELEASE op");
                    } catch (SQLException | RuntimeException e) {
                        sql.execute("ROLLBACK TO op");
                        sql.execute("RELEASE op");
                        failures[i] = e instanceof RuntimeException re ? re : failure.apply("writing", (SQLException) e);
                    }
                }
                sql.execute("COMMIT");
            } catch (SQLException e) {
                try {
                    sql.execute("ROLLBACK");
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (SQLException e) {
            FloeException f = failure.apply("committing", e);
            batch.forEach(op -> op.result().completeExceptionally(f));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture future = batch.get(i).result();
            if (failures[i] != null) {
                future.completeExceptionally(failures[i]);
            } else {
                future.complete(values[i]);
            }
        }
    }

    private void failRemaining() {
        Op<?> op;
        while ((op = pending.poll()) != null) {
            op.result().completeExceptionally(closedError());
        }
    }

    /** Finishes the batch being written, fails the writes still waiting, and closes the connection. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failRemaining();
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing: nothing uncommitted was promised to anyone
        }
    }

    private static FloeException closedError() {
        return new FloeException(ErrorType.SERVICE_UNAVAILABLE, "the controller is shutting down; retry against it once it is back");
    }
}
