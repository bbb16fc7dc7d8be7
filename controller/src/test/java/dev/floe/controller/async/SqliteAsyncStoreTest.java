package dev.floe.controller.async;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;

/** The asynchronous store contract on SQLite; the next claimer opens the same file, as a restarted controller does. */
class SqliteAsyncStoreTest extends AsyncStoreContract {
    @TempDir
    Path dir;

    @Override
    protected AsyncStore openStore() {
        return SqliteAsyncStore.open(dir.resolve("floe.db"), InstantSource.fixed(Instant.ofEpochMilli(T0)));
    }

    @Override
    protected AsyncStore openAgain() {
        return SqliteAsyncStore.open(dir.resolve("floe.db"), InstantSource.fixed(Instant.ofEpochMilli(T0)));
    }
}
