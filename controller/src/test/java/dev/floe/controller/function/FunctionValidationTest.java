package dev.floe.controller.function;

import static dev.floe.controller.function.FunctionCatalogTest.PROVIDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal a user can meet creating or updating a function, with the message they read. */
class FunctionValidationTest {
    @TempDir
    Path dataDir;
    private FunctionCatalog catalog;

    @BeforeEach
    void open() throws IOException {
        catalog = FunctionCatalog.open(dataDir, InstantSource.system(), (name, keep) -> { });
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    private static void refused(ErrorType type, String message, Executable call) {
        FloeException e = assertThrows(FloeException.class, call);
        assertEquals(type, e.type(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    private static void invalid(String message, Executable call) {
        refused(ErrorType.INVALID_PARAMETER, message, call);
    }

    private void create(String name, FunctionConfig config) {
        catalog.create(name, config, Packages.bootstrap("x"));
    }

    @Test
    void badName() {
        invalid("function name: \"no spaces\" (expected: 1 to 64 letters, digits, hyphens or underscores)",
                () -> create("no spaces", PROVIDED));
        invalid("function name: \"\" (expected: 1 to 64 letters, digits, hyphens or underscores)",
                () -> create("", PROVIDED));
    }

    @Test
    void memoryOutOfRange() {
        invalid("memory: 64 MB (expected: 128..10240 MB)", () -> create("f", PROVIDED.toBuilder().setMemoryMb(64).build()));
    }

    @Test
    void timeoutOutOfRange() {
        invalid("timeout: 901 s (expected: 1..900 s)", () -> create("f", PROVIDED.toBuilder().setTimeoutSeconds(901).build()));
        // A zero is a value asked for, on create as on update: only an unset timeout takes the default.
        invalid("timeout: 0 s (expected: 1..900 s)", () -> create("f", PROVIDED.toBuilder().setTimeoutSeconds(0).build()));
        assertEquals(3, catalog.create("f", PROVIDED, Packages.bootstrap("x")).getConfig().getTimeoutSeconds());
        invalid("timeout: 0 s (expected: 1..900 s)", () -> catalog.update(FunctionUpdate.of("f").withTimeoutSeconds(0)));
    }

    @Test
    void tmpOutOfRange() {
        invalid("tmp: 100 MB (expected: 512..10240 MB)", () -> create("f", PROVIDED.toBuilder().setTmpMb(100).build()));
    }

    @Test
    void unknownRuntime() {
        invalid("runtime: \"ruby3.3\" (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them: provided.al2023, provided.al2, python3.N, nodejsN.x)",
                () -> create("f", PROVIDED.toBuilder().setRuntime("ruby3.3").build()));
    }

    @Test
    void reservedEnvironmentVariable() {
        invalid("environment variable AWS_REGION is reserved: Floe sets it (expected: a name Lambda does not reserve)",
                () -> create("f", PROVIDED.toBuilder().putEnvironment("AWS_REGION", "x").build()));
        catalog.create("g", PROVIDED, Packages.bootstrap("x"));
        invalid("environment variable AWS_LAMBDA_RUNTIME_API is reserved: Floe sets it (expected: a name Lambda does not reserve)",
                () -> catalog.update(FunctionUpdate.of("g").withEnvironment(Map.of("AWS_LAMBDA_RUNTIME_API", "x"))));
    }

    @Test
    void aNulInAVariableIsRefusedOnCreateAndUpdate() {
        String injection = "x\u0000_HANDLER=injected\u0000AWS_LAMBDA_RUNTIME_API=127.0.0.1:9";
        String message = "environment variable FOO: its value holds a NUL character at position 1 (expected: text without NUL,"
                + " which no process environment can carry)";
        invalid(message, () -> create("f", PROVIDED.toBuilder().putEnvironment("FOO", injection).build()));
        catalog.create("g", PROVIDED, Packages.bootstrap("x"));
        invalid(message, () -> catalog.update(FunctionUpdate.of("g").withEnvironment(Map.of("FOO", injection))));
        assertEquals(1, catalog.get("g").getRevision(), "a refused update makes no revision");
    }

    @Test
    void emptyCode() {
        invalid("code: empty (expected: a zip file with the function's code)", () -> catalog.create("f", PROVIDED, new byte[0]));
    }

    @Test
    void notAZip() {
        FloeException e = assertThrows(FloeException.class,
                () -> catalog.create("f", PROVIDED, "#!/bin/sh\necho hi\n".getBytes()));
        assertEquals(ErrorType.INVALID_PARAMETER, e.type());
        assertEquals(true, e.getMessage().startsWith("code: not a zip file ("), e.getMessage());
        assertEquals(true, e.getMessage().endsWith("; expected: a zip archive)"), e.getMessage());
    }

    @Test
    void noBootstrapAtTheRoot() {
        invalid("code: no bootstrap at the root of the package (expected: a file named bootstrap at the top of the zip,"
                + " which runtime provided runs)", () -> catalog.create("f", PROVIDED, Packages.raw("main.sh", "echo")));
        invalid("code: no bootstrap at the root of the package (found \"app/bootstrap\") (expected: a file named bootstrap"
                + " at the top of the zip, which runtime provided runs)",
                () -> catalog.create("f", PROVIDED, Packages.raw("app/bootstrap", "echo")));
    }

    @Test
    void managedRuntimesNeedNoBootstrapButProvidedStillDoes() {
        for (String runtime : new String[] {"python3", "nodejs", "java25", "java21"}) {
            Function created = catalog.create("f-" + runtime, PROVIDED.toBuilder().setRuntime(runtime).build(),
                    Packages.raw("app.py", "def handler(e, c): return e"));
            assertEquals(runtime, created.getConfig().getRuntime());
        }
        catalog.update(FunctionUpdate.of("f-python3").withCode(Packages.raw("other.py", "x = 1")));
        invalid("code: no bootstrap at the root of the package (expected: a file named bootstrap at the top of the zip,"
                + " which runtime provided runs)", () -> catalog.update(FunctionUpdate.of("f-nodejs").withRuntime("provided")
                .withCode(Packages.raw("index.js", "exports.handler = async () => 1"))));
    }

    @Test
    void entriesThatEscapeThePackage() {
        invalid("code: entry \"../evil.sh\" points outside the package (expected: relative paths without \"..\")",
                () -> catalog.create("f", PROVIDED, Packages.raw("bootstrap", "echo", "../evil.sh", "rm -rf")));
        invalid("code: entry \"lib/../../evil.sh\" points outside the package (expected: relative paths without \"..\")",
                () -> catalog.create("f", PROVIDED, Packages.raw("bootstrap", "echo", "lib/../../evil.sh", "x")));
        invalid("code: entry \"/etc/cron.d/evil\" points outside the package (expected: relative paths without \"..\")",
                () -> catalog.create("f", PROVIDED, Packages.raw("bootstrap", "echo", "/etc/cron.d/evil", "x")));
    }

    @Test
    void symbolicLinksOutOfThePackage() {
        String expected = " points outside the package (expected: a relative target inside the package)";
        invalid("code: symbolic link \"evil\" -> \"/etc/passwd\"" + expected,
                () -> catalog.create("f", PROVIDED, dev.floe.testing.LinkZips.withLinks("evil", "/etc/passwd")));
        invalid("code: symbolic link \"lib/evil\" -> \"../../etc\"" + expected,
                () -> catalog.create("f", PROVIDED, dev.floe.testing.LinkZips.withLinks("lib/evil", "../../etc")));
        invalid("code: symbolic link \"evil\" -> \"lib/../..\"" + expected,
                () -> catalog.create("f", PROVIDED, dev.floe.testing.LinkZips.withLinks("evil", "lib/../..")));

        catalog.create("f", PROVIDED, dev.floe.testing.LinkZips.withLinks("lib/run", "../bootstrap", "self", "."));
        assertEquals(1, catalog.get("f").getRevision(), "links inside the package are fine");
    }

    @Test
    void tooManyEntries() {
        String[] entries = new String[2 * (dev.floe.common.FunctionLimits.CODE_ENTRIES_MAX + 1)];
        for (int i = 0; i < entries.length; i += 2) {
            entries[i] = i == 0 ? "bootstrap" : "f" + i;
            entries[i + 1] = "";
        }
        invalid("code: more than 20000 entries (expected: at most 20000)",
                () -> catalog.create("f", PROVIDED, Packages.raw(entries)));
    }

    @Test
    void aZipBomb() {
        // 80 MB of zeros zip to about 80 KB: a thousand to one.
        byte[] bomb = Packages.raw("bootstrap", "#!/bin/sh\n", "zeros", "\0".repeat(80 << 20));
        FloeException e = assertThrows(FloeException.class, () -> catalog.create("f", PROVIDED, bomb));
        assertEquals(ErrorType.INVALID_PARAMETER, e.type());
        assertEquals(true, e.getMessage().matches("code: unpacks to 83886090 bytes from \\d+ zipped \\(expected: at most 100 times"
                + " the zipped size, past 67108864 bytes; this looks like a zip bomb\\)"), e.getMessage());
    }

    @Test
    void anUpdateChecksItsCodeToo() {
        catalog.create("f", PROVIDED, Packages.bootstrap("x"));
        invalid("code: no bootstrap at the root of the package (expected: a file named bootstrap at the top of the zip,"
                + " which runtime provided runs)", () -> catalog.update(FunctionUpdate.of("f").withCode(Packages.raw("a", "b"))));
        assertEquals(1, catalog.get("f").getRevision(), "a refused update makes no revision");
    }

    @Test
    void unpackedSizeOverTheLimit() throws IOException {
        catalog.close();
        catalog = new FunctionCatalog(SqliteFunctionStore.open(dataDir.resolve("small.db")),
                new CodeStore(dataDir.resolve("small-code"), new PackageInspector(10)), InstantSource.system(), (n, k) -> { });
        invalid("code: unpacks to 14 bytes (expected: at most 10)",
                () -> catalog.create("f", PROVIDED, Packages.raw("bootstrap", "echo 123456789")));
    }

    @Test
    void duplicateCreate() {
        create("taken", PROVIDED);
        refused(ErrorType.RESOURCE_CONFLICT,
                "function taken already exists (expected: a new name, or UpdateFunction to change it)",
                () -> create("taken", PROVIDED));
    }

    @Test
    void unknownFunction() {
        String notFound = "function ghost not found (expected: the name of a created function)";
        refused(ErrorType.RESOURCE_NOT_FOUND, notFound, () -> catalog.update(FunctionUpdate.of("ghost")));
        refused(ErrorType.RESOURCE_NOT_FOUND, notFound, () -> catalog.delete("ghost"));
        refused(ErrorType.RESOURCE_NOT_FOUND, notFound, () -> catalog.get("ghost"));
    }
}
