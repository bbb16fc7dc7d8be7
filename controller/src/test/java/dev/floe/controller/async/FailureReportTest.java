package dev.floe.controller.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: a store that keeps failing (a full disk) is reported once, again when the failure changes, and when it ends. */
class FailureReportTest {
    @TempDir
    Path dir;

    /** What was logged: level and message. */
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final System.Logger log = new System.Logger() {
        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            logged.add(level + " " + message + (thrown == null ? "" : " [trace]"));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            logged.add(level + " " + format);
        }
    };

    @Test
    void aRepeatedFailureIsLoggedOnceThenWhenItChangesAndWhenItEnds() {
        AtomicLong now = new AtomicLong();
        FailureReport report = new FailureReport(log, "taking invocations", now::get);
        RuntimeException full = new RuntimeException("store", new java.sql.SQLException("[SQLITE_FULL] database or disk is full"));
        for (int i = 0; i < 100; i++) {
            report.failed(full);
            now.addAndGet(100_000_000L);
        }
        report.failed(new RuntimeException(new java.sql.SQLException("[SQLITE_IOERR] disk I/O error")));
        now.addAndGet(100_000_000L);
        report.succeeded();
        report.succeeded();

        assertEquals(List.of(
                "ERROR taking invocations: SQLException: [SQLITE_FULL] database or disk is full (reported once: the same failure again"
                        + " is counted, not logged, until it changes or ends) [trace]",
                "ERROR taking invocations: now SQLException: [SQLITE_IOERR] disk I/O error (before: SQLException: [SQLITE_FULL]"
                        + " database or disk is full, 100 time(s) in 10 s)",
                "INFO taking invocations: works again, after failing 101 time(s) in 10 s (last: SQLException: [SQLITE_IOERR] disk I/O error)"),
                logged);
    }

    /** The dispatcher polls ten times a second: a full disk used to log a stack trace on every poll, ~18 KB/s. */
    @Test
    void theDispatcherReportsAStoreThatCannotWriteOnce() throws Exception {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(AsyncDispatcher.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(capture);
        AtomicBoolean full = new AtomicBoolean(true);
        AtomicInteger tries = new AtomicInteger();
        try (SqliteAsyncStore sqlite = SqliteAsyncStore.open(dir.resolve("floe.db"));
                AsyncDispatcher dispatcher = new AsyncDispatcher(new FullDisk(sqlite, full, tries), (f, q, p) ->
                        CompletableFuture.completedFuture(InvokeResponse.getDefaultInstance()), RetryPolicy.LAMBDA_DEFAULT, (f, q, base) -> base,
                        InstantSource.system(), () -> true, 8, new AsyncMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))) {
            dispatcher.start();
            Await.until(Duration.ofSeconds(30), "the dispatcher to try 20 times", () -> tries.get() >= 20);
            assertEquals(1, logged.size(), logged.toString());
            assertTrue(logged.getFirst().contains("could not take invocations: SQLException: [SQLITE_FULL] database or disk is full"),
                    logged.toString());
            full.set(false);
            Await.until(Duration.ofSeconds(30), "the dispatcher to say it works again", () -> logged.size() == 2);
            assertTrue(logged.get(1).startsWith("INFO the asynchronous dispatcher could not take invocations: works again, after failing"),
                    logged.toString());
        } finally {
            jul.removeHandler(capture);
        }
    }

    /** The store on a disk that is full while {@code full} is set: taking due invocations (a write) fails. */
    private record FullDisk(AsyncStore store, AtomicBoolean full, AtomicInteger tries) implements AsyncStore {
        @Override
        public List<String> insert(String function, String qualifier, List<ByteString> payloads, long nowMs) {
            return store.insert(function, qualifier, payloads, nowMs);
        }

        @Override
        public List<Claim> claimDue(long nowMs, long tooOldBeforeMs, String ageReason, int limit) {
            tries.incrementAndGet();
            if (full.get()) {
                throw new IllegalStateException("claiming due invocations failed",
                        new java.sql.SQLException("[SQLITE_FULL] database or disk is full"));
            }
            return store.claimDue(nowMs, tooOldBeforeMs, ageReason, limit);
        }

        @Override
        public boolean finish(Claim claim, Attempt attempt, AsyncInvocation.Status status, long nowMs, long nextMs, String reason,
                boolean throttled) {
            return store.finish(claim, attempt, status, nowMs, nextMs, reason, throttled);
        }

        @Override
        public int deadLetterAll(String function, String reason, long nowMs) {
            return store.deadLetterAll(function, reason, nowMs);
        }

        @Override
        public Optional<AsyncInvocation> get(String id) {
            return store.get(id);
        }

        @Override
        public List<AsyncInvocation> deadLetters(String function, int limit) {
            return store.deadLetters(function, limit);
        }

        @Override
        public long count(AsyncInvocation.Status status) {
            return store.count(status);
        }

        @Override
        public void close() {}
    }

}
