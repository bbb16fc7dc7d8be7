package dev.floe.controller.function;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The function store contract on SQLite; a second store opens the same database file. */
class SqliteFunctionStoreTest extends FunctionStoreContract {
    @TempDir
    Path dir;

    @Override
    protected FunctionStore openStore() {
        return SqliteFunctionStore.open(dir.resolve("floe.db"));
    }

    @Override
    protected FunctionStore openAgain() {
        return SqliteFunctionStore.open(dir.resolve("floe.db"));
    }
}
