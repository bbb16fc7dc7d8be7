package dev.floe.controller.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.controller.async.AsyncStore.Attempt;
import dev.floe.controller.async.AsyncStore.Claim;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.AsyncInvocation.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AsyncStore} does, whatever keeps the invocations: each implementation's test extends
 * this with a way to open a store and to open the same data again, as the next claimer sees it (the
 * controller restarted, or another controller took the functions over).
 */
abstract class AsyncStoreContract {
    static final long T0 = 1_700_000_000_000L;
    static final long NO_AGE_LIMIT = 0;
    private final List<AsyncStore> opened = new ArrayList<>();
    protected AsyncStore store;

    /** A store over fresh, empty data that may claim every invocation. */
    protected abstract AsyncStore openStore() throws Exception;

    /** The next claimer over the same data: the first store is closed, or as good as gone. */
    protected abstract AsyncStore openAgain() throws Exception;

    @BeforeEach
    void openFirst() throws Exception {
        store = track(openStore());
    }

    @AfterEach
    void closeAll() {
        opened.forEach(AsyncStore::close);
    }

    protected AsyncStore track(AsyncStore s) {
        opened.add(s);
        return s;
    }

    static List<ByteString> payloads(String... texts) {
        return List.of(texts).stream().map(ByteString::copyFromUtf8).toList();
    }

    private List<Claim> claim(AsyncStore s, long nowMs, int limit) {
        return s.claimDue(nowMs, NO_AGE_LIMIT, "too old", limit);
    }

    private static Attempt answered(String body) {
        return new Attempt("req-" + body, 2, ByteString.copyFromUtf8(body), "", "", "");
    }

    private AsyncInvocation read(String id) {
        return store.get(id).orElseThrow(() -> new AssertionError("invocation " + id + " not found"));
    }

    @Test
    void acceptedInvocationsAreQueuedWithTheirPayloadsInOrder() {
        List<String> ids = store.insert("fn", "live", payloads("a", "b", "c"), T0);

        assertEquals(3, Set.copyOf(ids).size());
        AsyncInvocation first = read(ids.getFirst());
        assertEquals(Status.QUEUED, first.getStatus());
        assertEquals("fn", first.getFunction());
        assertEquals("live", first.getQualifier());
        assertEquals("a", first.getPayload().toStringUtf8());
        assertEquals(0, first.getAttempts());
        assertEquals(T0 / 1000, first.getAcceptedAt().getSeconds());
        assertEquals(T0 / 1000, first.getNextAttemptAt().getSeconds());
        assertEquals("c", read(ids.get(2)).getPayload().toStringUtf8());
        assertEquals(Optional.empty(), store.get("no-such-id"));
        assertEquals(3, store.count(Status.QUEUED));
    }

    @Test
    void dueInvocationsAreClaimedOldestFirstOnceEachWithTheAttemptCounted() {
        List<String> early = store.insert("fn", "", payloads("1", "2"), T0);
        List<String> late = store.insert("fn", "", payloads("3"), T0 + 10);

        List<Claim> first = claim(store, T0 + 20, 2);
        List<Claim> second = claim(store, T0 + 20, 5);

        assertEquals(early, first.stream().map(Claim::id).toList());
        assertEquals(List.of("1", "2"), first.stream().map(c -> c.payload().toStringUtf8()).toList());
        assertEquals(1, first.getFirst().attempts());
        assertEquals(T0, first.getFirst().acceptedMs());
        assertEquals(late, second.stream().map(Claim::id).toList(), "the claimed ones are not due any more");
        assertEquals(Status.RUNNING, read(early.getFirst()).getStatus());
        assertEquals(1, read(early.getFirst()).getAttempts());
        assertEquals(List.of(), claim(store, T0 + 20, 5));
        assertEquals(3, store.count(Status.RUNNING));
    }

    @Test
    void anEndIsRecordedAsThePolicyDecided() {
        List<String> ids = store.insert("fn", "", payloads("ok", "retry", "dead"), T0);
        List<Claim> claims = claim(store, T0, 3);

        assertTrue(store.finish(claims.get(0), answered("fine"), Status.SUCCEEDED, T0 + 5, T0 + 5, "", false));
        assertTrue(store.finish(claims.get(1), new Attempt("req-2", 1, ByteString.copyFromUtf8("{}"), "Unhandled", "Runtime.ExitError", ""),
                Status.FAILED, T0 + 5, T0 + 1_000, "", false));
        assertTrue(store.finish(claims.get(2), Attempt.failed(ErrorType.SERVICE, "disk full"), Status.DEAD_LETTERED, T0 + 5, T0 + 5,
                "retries exhausted", false));

        AsyncInvocation ok = read(ids.get(0));
        assertEquals(Status.SUCCEEDED, ok.getStatus());
        assertEquals("fine", ok.getResult().toStringUtf8());
        assertEquals("req-fine", ok.getRequestId());
        assertEquals(2, ok.getRevision());
        assertEquals(T0 / 1000, ok.getUpdatedAt().getSeconds());
        AsyncInvocation retry = read(ids.get(1));
        assertEquals(Status.FAILED, retry.getStatus());
        assertEquals("Unhandled", retry.getFunctionError());
        assertEquals("Runtime.ExitError", retry.getErrorType());
        assertEquals((T0 + 1_000) / 1000, retry.getNextAttemptAt().getSeconds());
        AsyncInvocation dead = read(ids.get(2));
        assertEquals(Status.DEAD_LETTERED, dead.getStatus());
        assertEquals("retries exhausted", dead.getDeadLetterReason());
        assertEquals("ServiceException", dead.getErrorType());
        assertEquals("disk full", dead.getErrorMessage());

        assertEquals(List.of(), claim(store, T0 + 999, 5), "a failed attempt is due again only at its next attempt's time");
        List<Claim> again = claim(store, T0 + 1_000, 5);
        assertEquals(List.of(ids.get(1)), again.stream().map(Claim::id).toList());
        assertEquals(2, again.getFirst().attempts());
        assertEquals(1, store.count(Status.SUCCEEDED));
        assertEquals(1, store.count(Status.DEAD_LETTERED));
    }

    @Test
    void aThrottledAttemptGivesItsAttemptBackAndCountsAThrottle() {
        String id = store.insert("fn", "", payloads("x"), T0).getFirst();
        Claim first = claim(store, T0, 1).getFirst();

        store.finish(first, Attempt.failed(ErrorType.TOO_MANY_REQUESTS, "full"), Status.FAILED, T0, T0 + 100, "", true);
        Claim second = claim(store, T0 + 100, 1).getFirst();

        assertEquals(id, second.id());
        assertEquals(1, second.attempts(), "a throttled attempt does not use up a retry");
        assertEquals(1, second.throttles());
    }

    @Test
    void invocationsPastTheMaximumAgeAreDeadLetteredInsteadOfClaimed() {
        String old = store.insert("fn", "", payloads("old"), T0).getFirst();
        String fresh = store.insert("fn", "", payloads("fresh"), T0 + 60_000).getFirst();

        List<Claim> claims = store.claimDue(T0 + 60_000, T0 + 1, "older than the maximum event age", 5);

        assertEquals(List.of(fresh), claims.stream().map(Claim::id).toList());
        assertEquals(Status.DEAD_LETTERED, read(old).getStatus());
        assertEquals("older than the maximum event age", read(old).getDeadLetterReason());
    }

    @Test
    void aDeletedFunctionsUnfinishedInvocationsAreDeadLetteredAndStaySo() {
        String done = store.insert("fn", "", payloads("done"), T0).getFirst();
        String running = store.insert("fn", "", payloads("running"), T0 + 1).getFirst();
        String queued = store.insert("fn", "", payloads("queued"), T0 + 2).getFirst();
        String other = store.insert("fn-other", "", payloads("kept"), T0 + 3).getFirst();
        List<Claim> claims = claim(store, T0 + 2, 2);
        assertEquals(List.of(done, running), claims.stream().map(Claim::id).toList());
        store.finish(claims.get(0), answered("ok"), Status.SUCCEEDED, T0 + 2, T0 + 2, "", false);

        assertEquals(2, store.deadLetterAll("fn", "function deleted", T0 + 4));
        assertFalse(store.finish(claims.get(1), answered("late"), Status.SUCCEEDED, T0 + 5, T0 + 5, "", false),
                "an attempt that ends after its function was deleted changes nothing");

        assertEquals(Status.SUCCEEDED, read(done).getStatus());
        assertEquals(Status.DEAD_LETTERED, read(running).getStatus());
        assertEquals("function deleted", read(running).getDeadLetterReason());
        assertEquals(Status.DEAD_LETTERED, read(queued).getStatus());
        assertEquals(Status.QUEUED, read(other).getStatus());
        assertEquals(List.of(other), claim(store, T0 + 5, 5).stream().map(Claim::id).toList());
    }

    @Test
    void theDeadLetterListIsTheFunctionsOldestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(store.insert("fn", "", payloads("e" + i), T0 + i).getFirst());
        }
        store.insert("fn-other", "", payloads("other"), T0);
        store.deadLetterAll("fn-other", "function deleted", T0 + 10);
        store.deadLetterAll("fn", "function deleted", T0 + 10);

        List<AsyncInvocation> list = store.deadLetters("fn", 3);

        assertEquals(ids.subList(0, 3), list.stream().map(AsyncInvocation::getInvocationId).toList());
        assertEquals(Set.of("fn"), list.stream().map(AsyncInvocation::getFunction).collect(Collectors.toSet()));
        assertEquals("e0", list.getFirst().getPayload().toStringUtf8());
        assertEquals(List.of(), store.deadLetters("fn-none", 10));
    }

    @Test
    void whatWasRunningWhenItsClaimerStoppedIsClaimedAgainByTheNext() throws Exception {
        List<String> ids = store.insert("fn", "", payloads("running", "queued"), T0);
        Claim running = claim(store, T0, 1).getFirst();
        store.close();

        AsyncStore next = track(openAgain());
        List<Claim> claims = next.claimDue(T0 + 1, NO_AGE_LIMIT, "too old", 5);

        assertEquals(Set.copyOf(ids), claims.stream().map(Claim::id).collect(Collectors.toSet()), "at least once: both run");
        Claim again = claims.stream().filter(c -> c.id().equals(running.id())).findFirst().orElseThrow();
        assertEquals(2, again.attempts(), "the attempt cut off counts");
        assertTrue(next.finish(again, answered("ok"), Status.SUCCEEDED, T0 + 2, T0 + 2, "", false));
        assertEquals(Status.SUCCEEDED, next.get(running.id()).orElseThrow().getStatus());
    }
}
