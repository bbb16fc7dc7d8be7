package dev.floe.controller.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Alias;
import dev.floe.proto.AliasRouting;
import dev.floe.proto.Function;
import dev.floe.proto.UpdateAliasRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revisions named by qualifier, and aliases: kept across a restart, checked, routed, and what they keep from retirement. */
class AliasCatalogTest {
    @TempDir
    Path dataDir;
    /** What the listener was told: function, then the revision numbers kept (resolved from their ids). */
    private final List<String> superseded = new ArrayList<>();
    /** The "random" number the next weighted choice sees. */
    private final AtomicReference<Double> dice = new AtomicReference<>(0.5);
    private FunctionCatalog catalog;
    private Function r1;
    private Function r2;
    private Function r3;

    @BeforeEach
    void open() throws IOException {
        catalog = open(dataDir);
        r1 = catalog.create("fn", FunctionCatalogTest.PROVIDED, Packages.bootstrap("one"));
        r2 = catalog.update(FunctionUpdate.of("fn").withMemoryMb(256));
        r3 = catalog.update(FunctionUpdate.of("fn").withMemoryMb(512));
        superseded.clear();
    }

    private FunctionCatalog open(Path dir) throws IOException {
        CodeStore code = new CodeStore(dir.resolve("code"));
        return new FunctionCatalog(SqliteFunctionStore.open(dir.resolve("floe.db")), code, InstantSource.fixed(Instant.EPOCH),
                (name, keep) -> superseded.add(name + " keeps " + keep.stream().map(this::number).toList()), dice::get);
    }

    private int number(String revisionId) {
        return catalog.revisions("fn").stream().filter(f -> f.getRevisionId().equals(revisionId)).findFirst().orElseThrow().getRevision();
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    private Alias alias(String name, int revision) {
        return Alias.newBuilder().setFunction("fn").setName(name).setRevision(revision).build();
    }

    private static FloeException refused(ErrorType type, org.junit.jupiter.api.function.Executable call) {
        FloeException e = assertThrows(FloeException.class, call);
        assertEquals(type, e.type(), e.getMessage());
        return e;
    }

    @Test
    void qualifiersNameTheLatestARevisionOrAnAlias() {
        catalog.createAlias(alias("stable", 1));

        assertEquals(r3, catalog.resolve("fn", ""));
        assertEquals(r3, catalog.resolve("fn", "$LATEST"));
        assertEquals(r1.getRevisionId(), catalog.resolve("fn", "1").getRevisionId());
        assertEquals(r2.getRevisionId(), catalog.resolve("fn", "2").getRevisionId());
        assertEquals(256, catalog.resolve("fn", "2").getConfig().getMemoryMb(), "the old revision's own settings");
        assertEquals(r1.getRevisionId(), catalog.resolve("fn", "stable").getRevisionId());

        FloeException noRevision = refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.resolve("fn", "4"));
        assertEquals("function fn has no revision 4 (expected: 1..3)", noRevision.getMessage());
        FloeException noAlias = refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.resolve("fn", "canary"));
        assertEquals("alias canary of function fn not found (expected: one of its aliases: stable)", noAlias.getMessage());
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.resolve("nope", "stable"));
        FloeException malformed = refused(ErrorType.INVALID_PARAMETER, () -> catalog.resolve("fn", "no such"));
        assertTrue(malformed.getMessage().contains("expected: $LATEST, a revision number, or an alias name"), malformed.getMessage());
        refused(ErrorType.INVALID_PARAMETER, () -> catalog.resolve("fn", "0"));
    }

    @Test
    void aWeightedAliasSendsItsShareToTheOtherRevision() {
        catalog.createAlias(alias("canary", 2).toBuilder()
                .setRouting(AliasRouting.newBuilder().setRevision(3).setWeight(0.25)).build());

        dice.set(0.0);
        assertEquals(3, catalog.resolve("fn", "canary").getRevision());
        dice.set(0.2499);
        assertEquals(3, catalog.resolve("fn", "canary").getRevision());
        dice.set(0.25);
        assertEquals(2, catalog.resolve("fn", "canary").getRevision());
        dice.set(0.99);
        assertEquals(2, catalog.resolve("fn", "canary").getRevision());
        assertEquals(2, catalog.revision("fn", Qualifier.parse("canary")).getRevision(), "reads see the alias's own revision");

        Alias full = alias("x", 1).toBuilder().setRouting(AliasRouting.newBuilder().setRevision(2).setWeight(1.0)).build();
        assertEquals(2, FunctionCatalog.routed(full, 0.999));
        Alias none = alias("y", 1).toBuilder().setRouting(AliasRouting.newBuilder().setRevision(2).setWeight(0.0)).build();
        assertEquals(1, FunctionCatalog.routed(none, 0.0));
    }

    @Test
    void aliasesAndTheirUpdatesSurviveAReopenAndGoWithTheFunction() throws IOException {
        Alias created = catalog.createAlias(alias("stable", 1).toBuilder().setDescription("what users get").build());
        catalog.createAlias(alias("canary", 2).toBuilder().setRouting(AliasRouting.newBuilder().setRevision(3).setWeight(0.1)).build());
        Alias moved = catalog.updateAlias(UpdateAliasRequest.newBuilder().setFunction("fn").setName("stable").setRevision(2).build());
        assertNotEquals(created.getAliasId(), moved.getAliasId(), "each update gets a new alias id");
        assertEquals("what users get", moved.getDescription(), "unset fields are kept");
        catalog.close();

        catalog = open(dataDir);

        assertEquals(List.of("canary", "stable"), catalog.aliases("fn").stream().map(Alias::getName).toList());
        assertEquals(moved, catalog.alias("fn", "stable"));
        assertEquals(0.1, catalog.alias("fn", "canary").getRouting().getWeight());
        assertEquals(r2.getRevisionId(), catalog.resolve("fn", "stable").getRevisionId());

        catalog.delete("fn");
        catalog.create("fn", FunctionCatalogTest.PROVIDED, Packages.bootstrap("again"));
        assertEquals(List.of(), catalog.aliases("fn"), "a function created again has none of the old one's aliases");
        catalog.close();
        catalog = open(dataDir);
        assertEquals(List.of(), catalog.aliases("fn"));
    }

    @Test
    void badAliasesAreRefusedWithWhatWasExpected() {
        catalog.createAlias(alias("live", 3));

        assertEquals("alias live of function fn already exists (expected: a new alias name, or UpdateAlias to change it)",
                refused(ErrorType.RESOURCE_CONFLICT, () -> catalog.createAlias(alias("live", 1))).getMessage());
        for (String bad : new String[] {"", "123", "$LATEST", "has space", "x".repeat(129)}) {
            FloeException e = refused(ErrorType.INVALID_PARAMETER, () -> catalog.createAlias(alias(bad, 1)));
            assertTrue(e.getMessage().contains("expected: 1..128 letters, digits, - or _"), e.getMessage());
        }
        catalog.createAlias(alias("a-b_C9", 1));
        catalog.createAlias(alias("x".repeat(128), 1));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.createAlias(alias("future", 4)));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.createAlias(alias("zero", 0)));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.createAlias(alias("orphan", 1).toBuilder().setFunction("nope").build()));
        FloeException same = refused(ErrorType.INVALID_PARAMETER, () -> catalog.createAlias(alias("same", 1).toBuilder()
                .setRouting(AliasRouting.newBuilder().setRevision(1).setWeight(0.5)).build()));
        assertEquals("alias routing: revision 1 (expected: another revision than the alias's own, 1)", same.getMessage());
        FloeException heavy = refused(ErrorType.INVALID_PARAMETER, () -> catalog.createAlias(alias("heavy", 1).toBuilder()
                .setRouting(AliasRouting.newBuilder().setRevision(2).setWeight(1.5)).build()));
        assertTrue(heavy.getMessage().contains("expected: 0.0..1.0"), heavy.getMessage());
        refused(ErrorType.INVALID_PARAMETER, () -> catalog.createAlias(alias("nan", 1).toBuilder()
                .setRouting(AliasRouting.newBuilder().setRevision(2).setWeight(Double.NaN)).build()));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.createAlias(alias("far", 1).toBuilder()
                .setRouting(AliasRouting.newBuilder().setRevision(9).setWeight(0.5)).build()));
        refused(ErrorType.INVALID_PARAMETER, () -> catalog.createAlias(alias("long", 1).toBuilder().setDescription("d".repeat(257)).build()));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.updateAlias(UpdateAliasRequest.newBuilder().setFunction("fn").setName("nope").build()));
        refused(ErrorType.RESOURCE_NOT_FOUND, () -> catalog.deleteAlias("fn", "nope"));
        FloeException stale = refused(ErrorType.PRECONDITION_FAILED, () -> catalog.updateAlias(UpdateAliasRequest.newBuilder()
                .setFunction("fn").setName("live").setRevision(1).setExpectedAliasId("stale").build()));
        assertTrue(stale.getMessage().contains("it was updated meanwhile"), stale.getMessage());

        assertEquals(3, catalog.alias("fn", "live").getRevision(), "nothing refused was kept");
        assertEquals(List.of("a-b_C9", "live", "x".repeat(128)), catalog.aliases("fn").stream().map(Alias::getName).toList());
    }

    @Test
    void anUpdateKeepsTheEnvironmentsOfRevisionsAliasesPointAt() {
        catalog.createAlias(alias("stable", 1).toBuilder().setRouting(AliasRouting.newBuilder().setRevision(2).setWeight(0.1)).build());
        assertEquals(List.of(), superseded, "creating an alias retires nothing");

        catalog.update(FunctionUpdate.of("fn").withMemoryMb(1024));
        assertEquals(List.of("fn keeps [4, 1, 2]"), superseded, "the latest first, then the alias's two revisions; 3 goes");

        superseded.clear();
        catalog.updateAlias(UpdateAliasRequest.newBuilder().setFunction("fn").setName("stable").setRevision(1)
                .setRouting(AliasRouting.getDefaultInstance()).build());
        assertEquals(List.of("fn keeps [4, 1]"), superseded, "revision 2 is no longer needed: its environments go");
        assertFalse(catalog.alias("fn", "stable").hasRouting(), "a routing to revision 0 removes it");

        superseded.clear();
        catalog.updateAlias(UpdateAliasRequest.newBuilder().setFunction("fn").setName("stable").setDescription("same target").build());
        assertEquals(List.of(), superseded, "nothing to retire when the alias keeps its revision");

        catalog.deleteAlias("fn", "stable");
        assertEquals(List.of("fn keeps [4]"), superseded, "revision 1 neither once the alias is gone");
        assertEquals(List.of(), catalog.aliases("fn"));
    }
}
