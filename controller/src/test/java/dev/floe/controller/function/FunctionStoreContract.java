package dev.floe.controller.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Alias;
import dev.floe.proto.AliasRouting;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.EventInvokeConfig;
import dev.floe.proto.FunctionSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link FunctionStore} does, whatever keeps the data: each implementation's test extends
 * this with a way to open a store and a second store over the same data (another controller, or the
 * same one after a restart).
 */
abstract class FunctionStoreContract {
    private final List<FunctionStore> opened = new ArrayList<>();
    protected FunctionStore store;

    /** A store over fresh, empty data, kept for the whole test. */
    protected abstract FunctionStore openStore() throws Exception;

    /** Another store over the same data as {@link #openStore()}'s, as a second writer or a restart sees it. */
    protected abstract FunctionStore openAgain() throws Exception;

    @BeforeEach
    void openFirst() throws Exception {
        store = track(openStore());
    }

    @AfterEach
    void closeAll() {
        opened.forEach(FunctionStore::close);
    }

    protected FunctionStore track(FunctionStore s) {
        opened.add(s);
        return s;
    }

    static Function revision(String name, int number, String sha) {
        return Function.newBuilder().setName(name).setRevision(number).setRevisionId(UUID.randomUUID().toString())
                .setConfig(FunctionConfig.newBuilder().setRuntime("provided").setHandler("h" + number).setMemoryMb(128))
                .setCodeSha256(sha).setCodeSize(10).setLastModified(Timestamp.newBuilder().setSeconds(1_700_000_000L + number))
                .build();
    }

    static Alias alias(String function, String name, int revision) {
        return Alias.newBuilder().setFunction(function).setName(name).setRevision(revision)
                .setAliasId(UUID.randomUUID().toString()).build();
    }

    private static void assertConflict(Runnable write) {
        FloeException e = assertThrows(FloeException.class, write::run);
        assertEquals(ErrorType.RESOURCE_CONFLICT, e.type(), e.getMessage());
    }

    @Test
    void aCreatedFunctionIsReadBackWholeAtRevisionOne() {
        Function first = revision("hello", 1, "aa");

        store.create(first);

        assertEquals(List.of(first), store.latest());
        assertEquals(Optional.of(first), store.latest("hello"));
        assertEquals(List.of(first), store.revisions("hello"));
        assertEquals(Optional.of(first), store.revision("hello", 1));
        assertEquals(Optional.empty(), store.revision("hello", 2));
        assertEquals(Optional.empty(), store.latest("other"));
        assertEquals(List.of(), store.revisions("other"));
    }

    @Test
    void aNameIsCreatedOnce() {
        store.create(revision("hello", 1, "aa"));

        assertConflict(() -> store.create(revision("hello", 1, "bb")));
        assertEquals("aa", store.latest("hello").orElseThrow().getCodeSha256());
    }

    @Test
    void eachAppendMakesTheNextRevisionAndTheListIsByName() {
        store.create(revision("b", 1, "aa"));
        store.create(revision("a", 1, "aa"));
        Function second = revision("b", 2, "bb");
        Function third = revision("b", 3, "cc");

        store.append(second);
        store.append(third);

        assertEquals(List.of("a", "b"), store.latest().stream().map(Function::getName).toList());
        assertEquals(third, store.latest("b").orElseThrow());
        assertEquals(List.of(1, 2, 3), store.revisions("b").stream().map(Function::getRevision).toList());
        assertEquals(Optional.of(second), store.revision("b", 2));
        assertConflict(() -> store.append(revision("b", 3, "dd")));
        assertConflict(() -> store.append(revision("b", 5, "dd")));
        assertConflict(() -> store.append(revision("missing", 2, "dd")));
    }

    @Test
    void twoWritersNeverMakeTheSameRevision() throws Exception {
        store.create(revision("hello", 1, "aa"));
        FunctionStore other = track(openAgain());
        int rounds = 20;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int n = 2; n < rounds + 2; n++) {
                int number = n;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> racers = new ArrayList<>();
                for (FunctionStore writer : List.of(store, other)) {
                    Callable<Boolean> append = () -> {
                        go.await();
                        try {
                            writer.append(revision("hello", number, "sha-" + number));
                            return true;
                        } catch (FloeException e) {
                            assertEquals(ErrorType.RESOURCE_CONFLICT, e.type(), e.getMessage());
                            return false;
                        }
                    };
                    racers.add(threads.submit(append));
                }
                go.countDown();
                int won = 0;
                for (Future<Boolean> racer : racers) {
                    won += racer.get() ? 1 : 0;
                }
                assertEquals(1, won, "revision " + number + ": exactly one writer makes it");
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(rounds + 1, store.revisions("hello").size());
        assertEquals(rounds + 1, other.latest("hello").orElseThrow().getRevision());
    }

    @Test
    void concurrencyBelongsToTheFunctionAndOutlivesItsRevisions() {
        store.create(revision("hello", 1, "aa"));
        Concurrency settings = Concurrency.newBuilder().setReserved(5).setProvisioned(2).build();

        assertTrue(store.setConcurrency("hello", settings));
        store.append(revision("hello", 2, "bb"));

        assertEquals(settings, store.latest("hello").orElseThrow().getConcurrency());
        assertEquals(settings, store.latest().getFirst().getConcurrency());
        assertFalse(store.revision("hello", 2).orElseThrow().hasConcurrency(), "a revision carries no concurrency settings");
        assertFalse(store.setConcurrency("missing", settings));
        assertEquals(List.of("hello"), store.latest().stream().map(Function::getName).toList());
    }

    @Test
    void settingsAreReplacedOnlyFromWhatIsStoredAndGoWithTheFunction() throws Exception {
        assertEquals(Optional.empty(), store.settings("hello"));
        store.create(revision("hello", 1, "aa"));
        FunctionSettings none = FunctionSettings.getDefaultInstance();
        FunctionSettings tagged = FunctionSettings.newBuilder().putTags("team", "core").putPolicyStatements("s1", "{}")
                .setPolicyRevisionId("r1").putEventInvoke("$LATEST", EventInvokeConfig.newBuilder().setMaximumRetryAttempts(0).build())
                .build();

        assertEquals(Optional.of(none), store.settings("hello"));
        assertTrue(store.replaceSettings("hello", none, tagged));
        assertFalse(store.replaceSettings("hello", none, FunctionSettings.newBuilder().putTags("x", "y").build()),
                "they were replaced since: a writer that read them then lost");
        assertFalse(store.replaceSettings("missing", none, tagged));
        store.append(revision("hello", 2, "bb"));
        assertEquals(Optional.of(tagged), track(openAgain()).settings("hello"), "kept beside the revisions, for the next store");
        assertEquals(Optional.empty(), store.settings("missing"));

        assertTrue(store.delete("hello"));
        assertEquals(Optional.empty(), store.settings("hello"));
        store.create(revision("hello", 1, "cc"));
        assertEquals(Optional.of(none), store.settings("hello"), "a function made again starts without the old one's settings");
    }

    @Test
    void anAliasIsReplacedOnlyFromWhatIsStored() {
        store.create(revision("hello", 1, "aa"));
        store.append(revision("hello", 2, "bb"));
        Alias live = alias("hello", "live", 1);
        store.createAlias(live);
        Alias routed = live.toBuilder().setRevision(2).setAliasId(UUID.randomUUID().toString())
                .setRouting(AliasRouting.newBuilder().setRevision(1).setWeight(0.25)).build();

        assertConflict(() -> store.createAlias(alias("hello", "live", 2)));
        assertConflict(() -> store.createAlias(alias("missing", "live", 1)));
        assertTrue(store.replaceAlias(live, routed));
        assertFalse(store.replaceAlias(live, alias("hello", "live", 1)), "it was replaced since: a writer that read it then lost");

        assertEquals(List.of(routed), store.aliases("hello"));
        assertEquals(List.of(routed), store.aliases());
        assertFalse(store.replaceAlias(alias("hello", "gone", 1), alias("hello", "gone", 2)));
    }

    @Test
    void aliasesAreListedByFunctionThenNameAndDeletedOnce() {
        store.create(revision("b", 1, "aa"));
        store.create(revision("a", 1, "aa"));
        Alias bz = alias("b", "z", 1);
        Alias ba = alias("b", "a", 1);
        Alias aa = alias("a", "a", 1);
        store.createAlias(bz);
        store.createAlias(ba);
        store.createAlias(aa);

        assertEquals(List.of(aa, ba, bz), store.aliases());
        assertEquals(List.of(ba, bz), store.aliases("b"));
        assertTrue(store.deleteAlias("b", "z"));
        assertFalse(store.deleteAlias("b", "z"));
        assertEquals(List.of(aa, ba), store.aliases());
    }

    @Test
    void deletingAFunctionTakesEverythingOfItAndItsNameIsFreeAgain() {
        store.create(revision("hello", 1, "aa"));
        store.append(revision("hello", 2, "bb"));
        store.create(revision("other", 1, "aa"));
        store.setConcurrency("hello", Concurrency.newBuilder().setReserved(1).build());
        store.createAlias(alias("hello", "live", 1));

        assertTrue(store.delete("hello"));

        assertFalse(store.delete("hello"));
        assertEquals(Optional.empty(), store.latest("hello"));
        assertEquals(List.of(), store.revisions("hello"));
        assertEquals(List.of(), store.aliases("hello"));
        assertTrue(store.usesCode("aa"), "other still runs it");
        assertFalse(store.usesCode("bb"));
        Function again = revision("hello", 1, "cc");
        store.create(again);
        assertEquals(Optional.of(again), store.latest("hello"), "no concurrency settings carried over");
        assertEquals(List.of(again), store.revisions("hello"));
    }

    @Test
    void everythingWrittenIsThereForTheNextStore() throws Exception {
        Function first = revision("hello", 1, "aa");
        store.create(first);
        Function second = revision("hello", 2, "bb");
        store.append(second);
        Concurrency settings = Concurrency.newBuilder().setReserved(3).build();
        store.setConcurrency("hello", settings);
        Alias live = alias("hello", "live", 1);
        store.createAlias(live);

        FunctionStore next = track(openAgain());

        assertEquals(List.of(second.toBuilder().setConcurrency(settings).build()), next.latest());
        assertEquals(List.of(first, second), next.revisions("hello"));
        assertEquals(List.of(live), next.aliases());
        assertTrue(next.usesCode("aa"));
        assertFalse(next.usesCode("cc"));
    }
}
