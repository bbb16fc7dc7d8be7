package dev.floe.controller.async;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.AsyncInvocation;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The asynchronous invocations, one row each, in a table of the controller's SQLite database
 * ({@code floe.db}, beside the functions), in WAL mode with full syncs: an invocation is accepted
 * only once its row is on disk. One controller owns every invocation in it.
 *
 * <p>Every write goes through a {@link GroupCommitWriter}, which commits whatever has gathered in one
 * transaction; reads use their own connection, which WAL lets run beside the writer.
 */
public final class SqliteAsyncStore implements AsyncStore {
    private static final System.Logger LOG = System.getLogger(SqliteAsyncStore.class.getName());

    private final GroupCommitWriter writer;
    private final Connection reads;
    private boolean closed;

    private SqliteAsyncStore(GroupCommitWriter writer, Connection reads) {
        this.writer = writer;
        this.reads = reads;
    }

    /**
     * Opens the table in the database at {@code file}, creating it if needed. Attempts left running by the
     * controller's last run may or may not have run, so they are queued again (at least once).
     */
    public static SqliteAsyncStore open(Path file) {
        return open(file, java.time.InstantSource.system());
    }

    /** As {@link #open(Path)}, with the clock that stamps what is queued again. */
    public static SqliteAsyncStore open(Path file, java.time.InstantSource clock) {
        SqliteAsyncStore store = create(file);
        try {
            int requeued = store.requeueRunning(clock.millis());
            if (requeued > 0) {
                LOG.log(System.Logger.Level.INFO, requeued
                        + " asynchronous invocation(s) were running when the controller stopped; queued again");
            }
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static SqliteAsyncStore create(Path file) {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        Connection w = null;
        try {
            // Its transactions begin IMMEDIATE (see GroupCommitWriter), as the function store's do: writers
            // beside each other wait for the lock rather than fail when a read inside one turns into a write.
            w = DriverManager.getConnection(url);
            try (Statement s = w.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS async_invocations (
                          id TEXT PRIMARY KEY,
                          function TEXT NOT NULL,
                          qualifier TEXT NOT NULL,
                          payload BLOB NOT NULL,
                          status INTEGER NOT NULL,
                          attempts INTEGER NOT NULL DEFAULT 0,
                          throttles INTEGER NOT NULL DEFAULT 0,
                          accepted_ms INTEGER NOT NULL,
                          updated_ms INTEGER NOT NULL,
                          next_ms INTEGER NOT NULL,
                          request_id TEXT NOT NULL DEFAULT '',
                          revision INTEGER NOT NULL DEFAULT 0,
                          result BLOB,
                          function_error TEXT NOT NULL DEFAULT '',
                          error_type TEXT NOT NULL DEFAULT '',
                          error_message TEXT NOT NULL DEFAULT '',
                          reason TEXT NOT NULL DEFAULT '')""");
                s.execute("CREATE INDEX IF NOT EXISTS async_due ON async_invocations(next_ms) WHERE status IN ("
                        + AsyncInvocation.Status.QUEUED_VALUE + ", " + AsyncInvocation.Status.FAILED_VALUE + ")");
                s.execute("CREATE INDEX IF NOT EXISTS async_by_function ON async_invocations(function, status, accepted_ms)");
            }
            Connection r = DriverManager.getConnection(url);
            try (Statement s = r.createStatement()) {
                s.execute("PRAGMA busy_timeout=5000");
            }
            return new SqliteAsyncStore(new GroupCommitWriter(w, "floe-controller-async-writer", SqliteAsyncStore::failure), r);
        } catch (SQLException e) {
            if (w != null) {
                try {
                    w.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw failure("opening " + file, e);
        }
    }

    private <T> T write(GroupCommitWriter.Write<T> work) {
        return writer.write(work);
    }

    // ---- writes ---------------------------------------------------------------------------------

    @Override
    public List<String> insert(String function, String qualifier, List<ByteString> payloads, long nowMs) {
        return write(db -> {
            List<String> ids = new ArrayList<>(payloads.size());
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO async_invocations"
                    + " (id, function, qualifier, payload, status, accepted_ms, updated_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (ByteString payload : payloads) {
                    String id = UUID.randomUUID().toString();
                    insert.setString(1, id);
                    insert.setString(2, function);
                    insert.setString(3, qualifier);
                    insert.setBytes(4, payload.toByteArray());
                    insert.setInt(5, AsyncInvocation.Status.QUEUED_VALUE);
                    insert.setLong(6, nowMs);
                    insert.setLong(7, nowMs);
                    insert.setLong(8, nowMs);
                    insert.addBatch();
                    ids.add(id);
                }
                insert.executeBatch();
            }
            return ids;
        });
    }

    @Override
    public List<Claim> claimDue(long nowMs, long tooOldBeforeMs, String ageReason, int limit) {
        // Looked at on the read side first: an idle queue then takes no write lock at each poll, which
        // would keep the function store's writes waiting.
        if (!anyDue(nowMs)) {
            return List.of();
        }
        return write(db -> {
            try (PreparedStatement expire = db.prepareStatement("UPDATE async_invocations SET status = ?, reason = ?, updated_ms = ?"
                    + " WHERE status IN (?, ?) AND next_ms <= ? AND accepted_ms < ?")) {
                expire.setInt(1, AsyncInvocation.Status.DEAD_LETTERED_VALUE);
                expire.setString(2, ageReason);
                expire.setLong(3, nowMs);
                expire.setInt(4, AsyncInvocation.Status.QUEUED_VALUE);
                expire.setInt(5, AsyncInvocation.Status.FAILED_VALUE);
                expire.setLong(6, nowMs);
                expire.setLong(7, tooOldBeforeMs);
                expire.executeUpdate();
            }
            List<Claim> claims = new ArrayList<>();
            try (PreparedStatement due = db.prepareStatement("SELECT id, function, payload, attempts, throttles, accepted_ms, qualifier"
                    + " FROM async_invocations WHERE status IN (?, ?) AND next_ms <= ? ORDER BY next_ms, rowid LIMIT ?")) {
                due.setInt(1, AsyncInvocation.Status.QUEUED_VALUE);
                due.setInt(2, AsyncInvocation.Status.FAILED_VALUE);
                due.setLong(3, nowMs);
                due.setInt(4, limit);
                try (ResultSet rs = due.executeQuery()) {
                    while (rs.next()) {
                        claims.add(new Claim(rs.getString(1), rs.getString(2), rs.getString(7), ByteString.copyFrom(rs.getBytes(3)),
                                rs.getInt(4) + 1, rs.getInt(5), rs.getLong(6), 0));
                    }
                }
            }
            try (PreparedStatement run = db.prepareStatement(
                    "UPDATE async_invocations SET status = ?, attempts = ?, updated_ms = ? WHERE id = ?")) {
                for (Claim c : claims) {
                    run.setInt(1, AsyncInvocation.Status.RUNNING_VALUE);
                    run.setInt(2, c.attempts());
                    run.setLong(3, nowMs);
                    run.setString(4, c.id());
                    run.addBatch();
                }
                run.executeBatch();
            }
            return claims;
        });
    }

    @Override
    public boolean finish(Claim claim, Attempt attempt, AsyncInvocation.Status status, long nowMs, long nextMs, String reason,
            boolean throttled) {
        return write(db -> {
            try (PreparedStatement u = db.prepareStatement("UPDATE async_invocations SET status = ?, updated_ms = ?, next_ms = ?,"
                    + " request_id = ?, revision = ?, result = ?, function_error = ?, error_type = ?, error_message = ?, reason = ?,"
                    + " attempts = attempts - ?, throttles = throttles + ? WHERE id = ? AND status = ?")) {
                u.setInt(1, status.getNumber());
                u.setLong(2, nowMs);
                u.setLong(3, nextMs);
                u.setString(4, attempt.requestId());
                u.setInt(5, attempt.revision());
                u.setBytes(6, attempt.result().toByteArray());
                u.setString(7, attempt.functionError());
                u.setString(8, attempt.errorType());
                u.setString(9, attempt.errorMessage());
                u.setString(10, reason);
                u.setInt(11, throttled ? 1 : 0);
                u.setInt(12, throttled ? 1 : 0);
                u.setString(13, claim.id());
                // An invocation dead-lettered meanwhile (its function deleted) stays so.
                u.setInt(14, AsyncInvocation.Status.RUNNING_VALUE);
                return u.executeUpdate() == 1;
            }
        });
    }

    @Override
    public int deadLetterAll(String function, String reason, long nowMs) {
        return write(db -> {
            try (PreparedStatement u = db.prepareStatement("UPDATE async_invocations SET status = ?, reason = ?, updated_ms = ?"
                    + " WHERE function = ? AND status IN (?, ?, ?)")) {
                u.setInt(1, AsyncInvocation.Status.DEAD_LETTERED_VALUE);
                u.setString(2, reason);
                u.setLong(3, nowMs);
                u.setString(4, function);
                u.setInt(5, AsyncInvocation.Status.QUEUED_VALUE);
                u.setInt(6, AsyncInvocation.Status.FAILED_VALUE);
                u.setInt(7, AsyncInvocation.Status.RUNNING_VALUE);
                return u.executeUpdate();
            }
        });
    }

    /**
     * After a restart: attempts that were running when the controller stopped may or may not have
     * run, so they are queued again (at least once); returns how many.
     */
    private int requeueRunning(long nowMs) {
        return write(db -> {
            try (PreparedStatement u = db.prepareStatement("UPDATE async_invocations SET status = ?, next_ms = ?, updated_ms = ?,"
                    + " error_message = 'the controller restarted during an attempt' WHERE status = ?")) {
                u.setInt(1, AsyncInvocation.Status.QUEUED_VALUE);
                u.setLong(2, nowMs);
                u.setLong(3, nowMs);
                u.setInt(4, AsyncInvocation.Status.RUNNING_VALUE);
                return u.executeUpdate();
            }
        });
    }

    // ---- reads ----------------------------------------------------------------------------------

    private static final String COLUMNS = "id, function, qualifier, status, attempts, accepted_ms, updated_ms, next_ms,"
            + " request_id, revision, result, function_error, error_type, error_message, reason, payload";

    @Override
    public synchronized Optional<AsyncInvocation> get(String id) {
        try (PreparedStatement q = reads.prepareStatement("SELECT " + COLUMNS + " FROM async_invocations WHERE id = ?")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("reading invocation " + id, e);
        }
    }

    @Override
    public synchronized List<AsyncInvocation> deadLetters(String function, int limit) {
        try (PreparedStatement q = reads.prepareStatement("SELECT " + COLUMNS + " FROM async_invocations"
                + " WHERE function = ? AND status = ? ORDER BY accepted_ms, rowid LIMIT ?")) {
            q.setString(1, function);
            q.setInt(2, AsyncInvocation.Status.DEAD_LETTERED_VALUE);
            q.setInt(3, limit);
            List<AsyncInvocation> result = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    result.add(row(rs));
                }
            }
            return result;
        } catch (SQLException e) {
            throw failure("reading the dead-letter list of " + function, e);
        }
    }

    private synchronized boolean anyDue(long nowMs) {
        try (PreparedStatement q = reads.prepareStatement("SELECT 1 FROM async_invocations WHERE status IN (?, ?) AND next_ms <= ? LIMIT 1")) {
            q.setInt(1, AsyncInvocation.Status.QUEUED_VALUE);
            q.setInt(2, AsyncInvocation.Status.FAILED_VALUE);
            q.setLong(3, nowMs);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw failure("looking for due invocations", e);
        }
    }

    @Override
    public synchronized long count(AsyncInvocation.Status status) {
        try (PreparedStatement q = reads.prepareStatement("SELECT count(*) FROM async_invocations WHERE status = ?")) {
            q.setInt(1, status.getNumber());
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failure("counting invocations", e);
        }
    }

    private static AsyncInvocation row(ResultSet rs) throws SQLException {
        AsyncInvocation.Status status = AsyncInvocation.Status.forNumber(rs.getInt(4));
        AsyncInvocation.Builder b = AsyncInvocation.newBuilder()
                .setInvocationId(rs.getString(1))
                .setFunction(rs.getString(2))
                .setQualifier(rs.getString(3))
                .setStatus(status == null ? AsyncInvocation.Status.STATUS_UNSPECIFIED : status)
                .setAttempts(rs.getInt(5))
                .setAcceptedAt(timestamp(rs.getLong(6)))
                .setUpdatedAt(timestamp(rs.getLong(7)))
                .setRequestId(rs.getString(9))
                .setRevision(rs.getInt(10))
                .setFunctionError(rs.getString(12))
                .setErrorType(rs.getString(13))
                .setErrorMessage(rs.getString(14))
                .setDeadLetterReason(rs.getString(15))
                .setPayload(ByteString.copyFrom(rs.getBytes(16)));
        if (status == AsyncInvocation.Status.FAILED || status == AsyncInvocation.Status.QUEUED) {
            b.setNextAttemptAt(timestamp(rs.getLong(8)));
        }
        byte[] result = rs.getBytes(11);
        if (result != null) {
            b.setResult(ByteString.copyFrom(result));
        }
        return b.build();
    }

    private static Timestamp timestamp(long ms) {
        return Timestamp.newBuilder().setSeconds(Math.floorDiv(ms, 1000)).setNanos((int) Math.floorMod(ms, 1000) * 1_000_000).build();
    }

    /** Stops the writer after the writes already queued, then closes the database. Idempotent. */
    @Override
    public void close() {
        writer.close();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                reads.close();
            } catch (SQLException ignored) {
                // closing: a read connection holds nothing anyone was promised
            }
        }
    }

    static FloeException failure(String what, SQLException e) {
        return new FloeException(ErrorType.SERVICE, "the invocation queue failed " + what + ": " + e.getMessage(), e);
    }
}
