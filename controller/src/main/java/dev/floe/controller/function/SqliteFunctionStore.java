package dev.floe.controller.function;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Alias;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionSettings;
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

/**
 * Revisions in an embedded SQLite database in WAL mode, with full syncs: function changes are rare
 * and must survive a power cut. One connection, used under this object's lock, since SQLite
 * serializes writers anyway; each write checks what is stored in the same IMMEDIATE transaction, so
 * stores opened on one file beside each other keep the compare-and-set of {@link FunctionStore}. Each revision row keeps the whole {@link Function} message, so a
 * field added to the proto later is kept without a schema change; the columns beside it are what
 * the store queries by.
 */
public final class SqliteFunctionStore implements FunctionStore {
    /** 2 added the aliases table, 3 the settings table. */
    private static final int SCHEMA_VERSION = 3;

    private final Connection db;

    private SqliteFunctionStore(Connection db) {
        this.db = db;
    }

    /** Opens (creating if needed) the database at {@code file}. */
    public static SqliteFunctionStore open(Path file) {
        try {
            // IMMEDIATE: a transaction takes the write lock when it begins, waiting (busy_timeout) for
            // another connection's writer (the async queue's) instead of failing with SQLITE_BUSY
            // when a read inside it would have to become a write after that writer committed.
            org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
            config.setTransactionMode(org.sqlite.SQLiteConfig.TransactionMode.IMMEDIATE);
            config.setBusyTimeout(5000);
            Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
            try {
                migrate(db);
                return new SqliteFunctionStore(db);
            } catch (SQLException | RuntimeException e) {
                db.close();
                throw e;
            }
        } catch (SQLException e) {
            throw failure("opening " + file, e);
        }
    }

    private static void migrate(Connection db) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=FULL");
            s.execute("PRAGMA foreign_keys=ON");
            s.execute("PRAGMA busy_timeout=5000");
            int version;
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > SCHEMA_VERSION) {
                throw new SQLException("the database has schema version " + version
                        + " (expected: at most " + SCHEMA_VERSION + "; it was written by a newer Floe)");
            }
            s.execute("""
                    CREATE TABLE IF NOT EXISTS functions (
                      name TEXT PRIMARY KEY,
                      latest_revision INTEGER NOT NULL,
                      created_ms INTEGER NOT NULL)""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS revisions (
                      revision_id TEXT PRIMARY KEY,
                      name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
                      revision INTEGER NOT NULL,
                      created_ms INTEGER NOT NULL,
                      code_sha256 TEXT NOT NULL,
                      function BLOB NOT NULL,
                      UNIQUE (name, revision))""");
            s.execute("CREATE INDEX IF NOT EXISTS revisions_by_code ON revisions(code_sha256)");
            // Per function, not per revision: changing it makes no revision. Kept as the proto message.
            s.execute("""
                    CREATE TABLE IF NOT EXISTS concurrency (
                      name TEXT PRIMARY KEY REFERENCES functions(name) ON DELETE CASCADE,
                      settings BLOB NOT NULL)""");
            // An alias must point at a revision of its function; the catalog checks that, since the
            // revision is named by number and revisions are never removed alone.
            s.execute("""
                    CREATE TABLE IF NOT EXISTS aliases (
                      name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
                      alias TEXT NOT NULL,
                      settings BLOB NOT NULL,
                      PRIMARY KEY (name, alias))""");
            // The Lambda API's tags, policy and event invoke configs: per function, kept as the proto message.
            s.execute("""
                    CREATE TABLE IF NOT EXISTS settings (
                      name TEXT PRIMARY KEY REFERENCES functions(name) ON DELETE CASCADE,
                      settings BLOB NOT NULL)""");
            s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
        }
    }

    @Override
    public synchronized void create(Function first) {
        inTransaction(() -> {
            try (PreparedStatement exists = db.prepareStatement("SELECT 1 FROM functions WHERE name = ?")) {
                exists.setString(1, first.getName());
                try (ResultSet rs = exists.executeQuery()) {
                    if (rs.next()) {
                        throw new FloeException(ErrorType.RESOURCE_CONFLICT,
                                "function " + first.getName() + " already exists (expected: a new name, or UpdateFunction to change it)");
                    }
                }
            }
            try (PreparedStatement insert = db.prepareStatement(
                    "INSERT INTO functions (name, latest_revision, created_ms) VALUES (?, ?, ?)")) {
                insert.setString(1, first.getName());
                insert.setInt(2, first.getRevision());
                insert.setLong(3, millis(first));
                insert.executeUpdate();
            }
            insertRevision(first);
        });
    }

    @Override
    public synchronized void append(Function next) {
        inTransaction(() -> {
            try (PreparedStatement update = db.prepareStatement(
                    "UPDATE functions SET latest_revision = ? WHERE name = ? AND latest_revision = ?")) {
                update.setInt(1, next.getRevision());
                update.setString(2, next.getName());
                update.setInt(3, next.getRevision() - 1);
                if (update.executeUpdate() != 1) {
                    throw new FloeException(ErrorType.RESOURCE_CONFLICT, "function " + next.getName()
                            + " is not at revision " + (next.getRevision() - 1) + " any more");
                }
            }
            insertRevision(next);
        });
    }

    private void insertRevision(Function f) throws SQLException {
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO revisions"
                + " (revision_id, name, revision, created_ms, code_sha256, function) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, f.getRevisionId());
            insert.setString(2, f.getName());
            insert.setInt(3, f.getRevision());
            insert.setLong(4, millis(f));
            insert.setString(5, f.getCodeSha256());
            insert.setBytes(6, f.toByteArray());
            insert.executeUpdate();
        }
    }

    @Override
    public synchronized boolean setConcurrency(String name, Concurrency concurrency) {
        boolean[] set = new boolean[1];
        inTransaction(() -> {
            try (PreparedStatement upsert = db.prepareStatement("INSERT INTO concurrency (name, settings)"
                    + " SELECT name, ? FROM functions WHERE name = ?"
                    + " ON CONFLICT (name) DO UPDATE SET settings = excluded.settings")) {
                upsert.setBytes(1, concurrency.toByteArray());
                upsert.setString(2, name);
                set[0] = upsert.executeUpdate() == 1;
            }
        });
        return set[0];
    }

    @Override
    public synchronized Optional<FunctionSettings> settings(String name) {
        try {
            return storedSettings(name);
        } catch (SQLException e) {
            throw failure("reading the settings of " + name, e);
        }
    }

    /** Empty without the function; the default instance without settings. */
    private Optional<FunctionSettings> storedSettings(String name) throws SQLException {
        try (PreparedStatement q = db.prepareStatement(
                "SELECT s.settings FROM functions f LEFT JOIN settings s ON s.name = f.name WHERE f.name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                byte[] bytes = rs.getBytes(1);
                return Optional.of(bytes == null ? FunctionSettings.getDefaultInstance() : FunctionSettings.parseFrom(bytes));
            }
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds unreadable settings: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean replaceSettings(String name, FunctionSettings previous, FunctionSettings next) {
        boolean[] replaced = new boolean[1];
        inTransaction(() -> {
            if (!storedSettings(name).map(previous::equals).orElse(false)) {
                return;
            }
            try (PreparedStatement upsert = db.prepareStatement("INSERT INTO settings (name, settings) VALUES (?, ?)"
                    + " ON CONFLICT (name) DO UPDATE SET settings = excluded.settings")) {
                upsert.setString(1, name);
                upsert.setBytes(2, next.toByteArray());
                replaced[0] = upsert.executeUpdate() == 1;
            }
        });
        return replaced[0];
    }

    @Override
    public synchronized List<Function> latest() {
        return query("SELECT r.function, c.settings FROM functions f JOIN revisions r"
                + " ON r.name = f.name AND r.revision = f.latest_revision"
                + " LEFT JOIN concurrency c ON c.name = f.name ORDER BY f.name", null);
    }

    @Override
    public synchronized Optional<Function> latest(String name) {
        List<Function> found = query("SELECT r.function, c.settings FROM functions f JOIN revisions r"
                + " ON r.name = f.name AND r.revision = f.latest_revision"
                + " LEFT JOIN concurrency c ON c.name = f.name WHERE f.name = ?", name);
        return found.stream().findFirst();
    }

    @Override
    public synchronized List<Function> revisions(String name) {
        return query("SELECT function FROM revisions WHERE name = ? ORDER BY revision", name);
    }

    @Override
    public synchronized Optional<Function> revision(String name, int revision) {
        try (PreparedStatement q = db.prepareStatement("SELECT function FROM revisions WHERE name = ? AND revision = ?")) {
            q.setString(1, name);
            q.setInt(2, revision);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(Function.parseFrom(rs.getBytes(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("reading revision " + revision + " of " + name, e);
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable revision: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void createAlias(Alias alias) {
        inTransaction(() -> {
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO aliases (name, alias, settings)"
                    + " SELECT name, ?, ? FROM functions WHERE name = ? ON CONFLICT (name, alias) DO NOTHING")) {
                insert.setString(1, alias.getName());
                insert.setBytes(2, alias.toByteArray());
                insert.setString(3, alias.getFunction());
                if (insert.executeUpdate() != 1) {
                    throw new FloeException(ErrorType.RESOURCE_CONFLICT, "alias " + alias.getName() + " of function "
                            + alias.getFunction() + " already exists, or the function does not (expected: a new alias name, or UpdateAlias)");
                }
            }
        });
    }

    @Override
    public synchronized boolean replaceAlias(Alias previous, Alias next) {
        boolean[] replaced = new boolean[1];
        inTransaction(() -> {
            try (PreparedStatement read = db.prepareStatement("SELECT settings FROM aliases WHERE name = ? AND alias = ?")) {
                read.setString(1, previous.getFunction());
                read.setString(2, previous.getName());
                try (ResultSet rs = read.executeQuery()) {
                    // Each update of an alias gives it a new alias_id: the same id is the same alias.
                    if (!rs.next() || !Alias.parseFrom(rs.getBytes(1)).getAliasId().equals(previous.getAliasId())) {
                        return;
                    }
                } catch (InvalidProtocolBufferException e) {
                    throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable alias: " + e.getMessage(), e);
                }
            }
            try (PreparedStatement update = db.prepareStatement("UPDATE aliases SET settings = ? WHERE name = ? AND alias = ?")) {
                update.setBytes(1, next.toByteArray());
                update.setString(2, next.getFunction());
                update.setString(3, next.getName());
                replaced[0] = update.executeUpdate() == 1;
            }
        });
        return replaced[0];
    }

    @Override
    public synchronized boolean deleteAlias(String function, String name) {
        boolean[] deleted = new boolean[1];
        inTransaction(() -> {
            try (PreparedStatement delete = db.prepareStatement("DELETE FROM aliases WHERE name = ? AND alias = ?")) {
                delete.setString(1, function);
                delete.setString(2, name);
                deleted[0] = delete.executeUpdate() == 1;
            }
        });
        return deleted[0];
    }

    @Override
    public synchronized List<Alias> aliases() {
        return aliasesWhere("", null);
    }

    @Override
    public synchronized List<Alias> aliases(String function) {
        return aliasesWhere(" WHERE name = ?", function);
    }

    private List<Alias> aliasesWhere(String where, String function) {
        try (PreparedStatement q = db.prepareStatement("SELECT settings FROM aliases" + where + " ORDER BY name, alias")) {
            if (function != null) {
                q.setString(1, function);
            }
            List<Alias> result = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    result.add(Alias.parseFrom(rs.getBytes(1)));
                }
            }
            return result;
        } catch (SQLException e) {
            throw failure("reading aliases", e);
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable alias: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean delete(String name) {
        boolean[] deleted = new boolean[1];
        inTransaction(() -> {
            // The foreign keys' ON DELETE CASCADE removes the revisions, concurrency settings, aliases and settings.
            try (PreparedStatement delete = db.prepareStatement("DELETE FROM functions WHERE name = ?")) {
                delete.setString(1, name);
                deleted[0] = delete.executeUpdate() == 1;
            }
        });
        return deleted[0];
    }

    @Override
    public synchronized boolean usesCode(String sha256) {
        try (PreparedStatement q = db.prepareStatement("SELECT 1 FROM revisions WHERE code_sha256 = ? LIMIT 1")) {
            q.setString(1, sha256);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw failure("looking up code " + sha256, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw failure("closing", e);
        }
    }

    private List<Function> query(String sql, String name) {
        try (PreparedStatement q = db.prepareStatement(sql)) {
            if (name != null) {
                q.setString(1, name);
            }
            List<Function> result = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                boolean withConcurrency = rs.getMetaData().getColumnCount() > 1;
                while (rs.next()) {
                    Function f = Function.parseFrom(rs.getBytes(1));
                    byte[] settings = withConcurrency ? rs.getBytes(2) : null;
                    result.add(settings == null ? f : f.toBuilder().setConcurrency(Concurrency.parseFrom(settings)).build());
                }
            }
            return result;
        } catch (SQLException e) {
            throw failure("reading functions", e);
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable revision: " + e.getMessage(), e);
        }
    }

    private interface Work {
        void run() throws SQLException;
    }

    private void inTransaction(Work work) {
        try {
            db.setAutoCommit(false);
            try {
                work.run();
                db.commit();
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure("writing functions", e);
        }
    }

    private static long millis(Function f) {
        return f.getLastModified().getSeconds() * 1000 + f.getLastModified().getNanos() / 1_000_000;
    }

    private static FloeException failure(String what, SQLException e) {
        return new FloeException(ErrorType.SERVICE, "the function store failed " + what + ": " + e.getMessage(), e);
    }
}
