package dev.floe.controller.function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.ProbeFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionCatalogTest {
    static final FunctionConfig PROVIDED = FunctionConfig.newBuilder().setRuntime("provided").setHandler("main").build();
    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123Z");

    @TempDir
    Path dataDir;
    private final List<String> superseded = new ArrayList<>();
    private FunctionCatalog catalog;

    @BeforeEach
    void open() throws IOException {
        catalog = open(dataDir);
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    private FunctionCatalog open(Path dir) throws IOException {
        return FunctionCatalog.open(dir, InstantSource.fixed(T0), (name, keep) -> superseded.add(name + "@" + String.join(",", keep)));
    }

    @Test
    void createMakesRevisionOneWithLambdaDefaults() {
        byte[] code = Packages.bootstrap("one");

        Function f = catalog.create("hello", PROVIDED, code);

        assertEquals("hello", f.getName());
        assertEquals(1, f.getRevision());
        assertEquals(f.getRevisionId(), UUID.fromString(f.getRevisionId()).toString());
        assertEquals(128, f.getConfig().getMemoryMb());
        assertEquals(3, f.getConfig().getTimeoutSeconds());
        assertEquals(512, f.getConfig().getTmpMb());
        assertEquals(ProbeFunction.sha256(code), f.getCodeSha256());
        assertEquals(code.length, f.getCodeSize());
        assertEquals(T0.getEpochSecond(), f.getLastModified().getSeconds());
        assertEquals(T0.getNano(), f.getLastModified().getNanos());
        assertEquals(f, catalog.get("hello"));
    }

    @Test
    void codeIsStoredOnceUnderItsHash() throws IOException {
        byte[] code = Packages.bootstrap("shared");
        Function a = catalog.create("a", PROVIDED, code);
        Function b = catalog.create("b", PROVIDED, code);

        assertEquals(a.getCodeSha256(), b.getCodeSha256());
        assertEquals(List.of(a.getCodeSha256() + ".zip"), codeFiles());
        assertArrayEquals(code, Files.readAllBytes(catalog.code().find(a.getCodeSha256()).orElseThrow()));
    }

    @Test
    void updateMakesTheNextRevisionAndKeepsWhatItDoesNotSet() {
        Function first = catalog.create("fn", PROVIDED.toBuilder().setMemoryMb(256).putEnvironment("COLOR", "blue").build(),
                Packages.bootstrap("v1"));

        Function second = catalog.update(FunctionUpdate.of("fn").withTimeoutSeconds(30));

        assertEquals(2, second.getRevision());
        assertNotEquals(first.getRevisionId(), second.getRevisionId());
        assertEquals(30, second.getConfig().getTimeoutSeconds());
        assertEquals(256, second.getConfig().getMemoryMb());
        assertEquals("main", second.getConfig().getHandler());
        assertEquals(Map.of("COLOR", "blue"), second.getConfig().getEnvironmentMap());
        assertEquals(first.getCodeSha256(), second.getCodeSha256());
        assertEquals(first.getCodeSize(), second.getCodeSize());

        byte[] v3code = Packages.bootstrap("v3");
        Function third = catalog.update(FunctionUpdate.of("fn").withCode(v3code).withEnvironment(Map.of("SIZE", "L")));

        assertEquals(3, third.getRevision());
        assertEquals(ProbeFunction.sha256(v3code), third.getCodeSha256());
        assertEquals(Map.of("SIZE", "L"), third.getConfig().getEnvironmentMap(), "environment replaces all variables");
        assertEquals(third, catalog.get("fn"));
        assertEquals(List.of(1, 2, 3), catalog.revisions("fn").stream().map(Function::getRevision).toList());
        assertEquals(List.of("fn@" + second.getRevisionId(), "fn@" + third.getRevisionId()), superseded);
    }

    @Test
    void anEmptyEnvironmentClearsTheVariables() {
        catalog.create("fn", PROVIDED.toBuilder().putEnvironment("COLOR", "blue").build(), Packages.bootstrap("x"));

        Function next = catalog.update(FunctionUpdate.of("fn").withEnvironment(Map.of()));

        assertEquals(Map.of(), next.getConfig().getEnvironmentMap());
    }

    @Test
    void listGivesTheLatestRevisionOfEachFunctionByName() {
        catalog.create("zeta", PROVIDED, Packages.bootstrap("z"));
        catalog.create("alpha", PROVIDED, Packages.bootstrap("a"));
        Function alpha2 = catalog.update(FunctionUpdate.of("alpha").withMemoryMb(512));

        List<Function> listed = catalog.list();

        assertEquals(List.of("alpha", "zeta"), listed.stream().map(Function::getName).toList());
        assertEquals(alpha2, listed.get(0));
    }

    @Test
    void deleteRemovesTheFunctionItsRevisionsAndCodeNoOneElseUses() throws IOException {
        byte[] shared = Packages.bootstrap("shared");
        byte[] own = Packages.bootstrap("own");
        Function keeper = catalog.create("keeper", PROVIDED, shared);
        catalog.create("gone", PROVIDED, shared);
        Function gone2 = catalog.update(FunctionUpdate.of("gone").withCode(own));

        catalog.delete("gone");

        assertEquals(List.of("keeper"), catalog.list().stream().map(Function::getName).toList());
        FloeException e = assertThrows(FloeException.class, () -> catalog.get("gone"));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, e.type());
        assertEquals(List.of(keeper.getCodeSha256() + ".zip"), codeFiles(), "the shared package stays, the other goes");
        assertTrue(catalog.code().find(gone2.getCodeSha256()).isEmpty());
        assertEquals("gone@", superseded.getLast());
    }

    @Test
    void aFunctionCreatedAgainAfterDeleteGetsNewRevisionIds() {
        Function old = catalog.create("again", PROVIDED, Packages.bootstrap("1"));
        catalog.delete("again");

        Function fresh = catalog.create("again", PROVIDED, Packages.bootstrap("1"));

        assertEquals(1, fresh.getRevision());
        assertNotEquals(old.getRevisionId(), fresh.getRevisionId());
        assertEquals(List.of(fresh), catalog.revisions("again"));
    }

    @Test
    void everythingIsBackAfterReopeningTheSameDataDir() throws IOException {
        Function a1 = catalog.create("a", PROVIDED, Packages.bootstrap("a"));
        Function a2 = catalog.update(FunctionUpdate.of("a").withHandler("other"));
        Function b1 = catalog.create("b", PROVIDED.toBuilder().putEnvironment("K1", "v").build(), Packages.bootstrap("b"));
        catalog.close();

        catalog = open(dataDir);

        assertEquals(List.of(a2, b1), catalog.list());
        assertEquals(List.of(a1, a2), catalog.revisions("a"));
        assertTrue(catalog.code().find(a1.getCodeSha256()).isPresent());
        Function a3 = catalog.update(FunctionUpdate.of("a"));
        assertEquals(3, a3.getRevision(), "numbering continues after a restart");
        assertTrue(Files.exists(dataDir.resolve("floe.db")));
    }

    @Test
    void aFailedCreateLeavesNoFileBehind() throws IOException {
        assertThrows(FloeException.class, () -> catalog.create("bad", PROVIDED, Packages.raw("main.py", "print()")));

        assertEquals(List.of(), codeFiles());
        assertFalse(catalog.find("bad").isPresent());
    }

    private List<String> codeFiles() throws IOException {
        try (Stream<Path> files = Files.list(dataDir.resolve("code"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void concurrencySettingsMakeNoRevisionSurviveUpdatesAndReopening() throws IOException {
        catalog.create("c", PROVIDED, Packages.bootstrap("c"));
        List<String> gate = new ArrayList<>();

        Function set = catalog.setConcurrency("c", new ConcurrencyChange(OptionalInt.of(5), OptionalInt.of(2)),
                (name, settings) -> gate.add(name + ":" + settings.getReserved() + "/" + settings.getProvisioned()));

        assertEquals(1, set.getRevision(), "no new revision");
        assertEquals(List.of("c:5/2"), gate);
        Function updated = catalog.update(FunctionUpdate.of("c").withMemoryMb(256));
        assertEquals(2, updated.getRevision());
        assertEquals(5, updated.getConcurrency().getReserved(), "the next revision carries them on");
        catalog.close();
        catalog = open(dataDir);
        assertEquals(updated, catalog.get("c"));

        Function cleared = catalog.setConcurrency("c", new ConcurrencyChange(OptionalInt.of(ConcurrencyChange.REMOVE),
                OptionalInt.empty()), (name, settings) -> { });
        assertFalse(cleared.getConcurrency().hasReserved());
        assertEquals(2, cleared.getConcurrency().getProvisioned());
    }

    @Test
    void concurrencySettingsAreChecked() {
        catalog.create("c", PROVIDED, Packages.bootstrap("c"));

        FloeException negative = assertThrows(FloeException.class, () -> catalog.setConcurrency("c",
                new ConcurrencyChange(OptionalInt.of(-2), OptionalInt.empty()), (n, s) -> { }));
        FloeException overReserved = assertThrows(FloeException.class, () -> catalog.setConcurrency("c",
                new ConcurrencyChange(OptionalInt.of(1), OptionalInt.of(3)), (n, s) -> { }));
        FloeException refused = assertThrows(FloeException.class, () -> catalog.setConcurrency("c",
                new ConcurrencyChange(OptionalInt.of(1), OptionalInt.empty()), (n, s) -> {
                    throw new FloeException(ErrorType.INVALID_PARAMETER, "no");
                }));

        assertEquals("reserved concurrency: -2 (expected: 0 or more, or -1 to remove it)", negative.getMessage());
        assertEquals("provisioned concurrency: 3 (expected: at most the reserved concurrency, 1)", overReserved.getMessage());
        assertEquals("no", refused.getMessage());
        assertFalse(catalog.get("c").hasConcurrency(), "nothing was kept");
    }
}
