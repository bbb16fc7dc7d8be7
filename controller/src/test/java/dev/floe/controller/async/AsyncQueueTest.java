package dev.floe.controller.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.AsyncInvocation.Status;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue on a real SQLite file, with a runner the test controls and a fake clock for backoffs and ages. */
class AsyncQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RetryPolicy FAST = new RetryPolicy(2, Duration.ofSeconds(60), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofHours(1));

    @TempDir
    Path dir;
    private final AtomicLong nowMs = new AtomicLong(1_700_000_000_000L);
    private final InstantSource clock = () -> Instant.ofEpochMilli(nowMs.get());
    /** What each attempt saw: the payloads, in order. */
    private final List<String> runs = new CopyOnWriteArrayList<>();
    /** The qualifier each attempt was run with. */
    private final List<String> qualifiers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean fleetUp = new AtomicBoolean(true);
    private volatile Function<String, CompletableFuture<InvokeResponse>> behaviour = AsyncQueueTest::succeed;
    private final List<AsyncQueue> open = new ArrayList<>();

    private AsyncQueue queue() {
        AsyncQueue q = AsyncQueue.builder().database(dir.resolve("floe.db")).clock(clock).policy(FAST)
                .functionCheck((name, qualifier) -> {
                    if (!name.startsWith("fn")) {
                        throw new FloeException(ErrorType.RESOURCE_NOT_FOUND, "function " + name + " not found");
                    }
                })
                .canRun(fleetUp::get)
                .runner((function, qualifier, payload) -> {
                    qualifiers.add(qualifier);
                    runs.add(payload.toStringUtf8());
                    return behaviour.apply(payload.toStringUtf8());
                })
                .build().start();
        open.add(q);
        return q;
    }

    @AfterEach
    void close() {
        open.forEach(AsyncQueue::close);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("floe-controller-async")),
                "no dispatcher or writer thread is left");
    }

    private static CompletableFuture<InvokeResponse> succeed(String payload) {
        return CompletableFuture.completedFuture(InvokeResponse.newBuilder().setRequestId("req-" + payload)
                .setRevision(1).setPayload(ByteString.copyFromUtf8("ok " + payload)).build());
    }

    private static CompletableFuture<InvokeResponse> functionError(String payload) {
        return CompletableFuture.completedFuture(InvokeResponse.newBuilder().setRequestId("req-" + payload)
                .setFunctionError("Unhandled").setErrorType("Runtime.ExitError")
                .setPayload(ByteString.copyFromUtf8("{\"errorMessage\":\"boom\"}")).build());
    }

    private static AsyncInvocation await(AsyncQueue q, String id, Status status) {
        return Await.value(WAIT, id + " " + status, () -> {
            AsyncInvocation inv = q.get(id);
            return inv.getStatus() == status ? inv : null;
        });
    }

    @Test
    void anAcceptedInvocationRunsOnceAndShowsItsResult() {
        AsyncQueue q = queue();
        String id = q.submit("fn", "", ByteString.copyFromUtf8("{\"n\":1}"));

        AsyncInvocation done = await(q, id, Status.SUCCEEDED);
        assertEquals(1, done.getAttempts());
        assertEquals("ok {\"n\":1}", done.getResult().toStringUtf8());
        assertEquals("req-{\"n\":1}", done.getRequestId());
        assertEquals(List.of("{\"n\":1}"), runs);
    }

    @Test
    void aFailingInvocationIsRetriedAfterItsBackoffThenDeadLettered() {
        behaviour = AsyncQueueTest::functionError;
        AsyncQueue q = queue();
        String id = q.submit("fn", "$LATEST", ByteString.copyFromUtf8("{}"));

        AsyncInvocation failed = await(q, id, Status.FAILED);
        assertEquals(1, failed.getAttempts());
        assertEquals("Unhandled", failed.getFunctionError());
        assertEquals(nowMs.get() / 1000 + 60, failed.getNextAttemptAt().getSeconds(), "the first retry waits a minute");
        assertEquals(1, runs.size(), "no retry before its time");

        nowMs.addAndGet(60_000);
        Await.until(WAIT, "second attempt", () -> q.get(id).getAttempts() == 2 && q.get(id).getStatus() == Status.FAILED);
        nowMs.addAndGet(120_000);
        AsyncInvocation dead = await(q, id, Status.DEAD_LETTERED);
        assertEquals(3, dead.getAttempts());
        assertEquals("retries exhausted after 3 attempts", dead.getDeadLetterReason());
        assertEquals("Runtime.ExitError", dead.getErrorType());
        assertEquals(List.of(id), q.deadLetters("fn", 0).stream().map(AsyncInvocation::getInvocationId).toList());
    }

    @Test
    void throttledAttemptsDoNotUseUpRetries() {
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        behaviour = payload -> seen.merge(payload, 1, Integer::sum) <= 3
                ? CompletableFuture.failedFuture(new FloeException(ErrorType.TOO_MANY_REQUESTS, "the fleet is full"))
                : succeed(payload);
        AsyncQueue q = queue();
        String id = q.submit("fn", "", ByteString.copyFromUtf8("{}"));
        for (int i = 0; i < 3; i++) {
            int throttles = i + 1;
            Await.until(WAIT, "throttle " + throttles, () -> seen.getOrDefault("{}", 0) == throttles && q.get(id).getStatus() == Status.FAILED);
            assertEquals(0, q.get(id).getAttempts(), "a throttled attempt did not start");
            nowMs.addAndGet(10_000);
        }
        assertEquals(1, await(q, id, Status.SUCCEEDED).getAttempts());
    }

    @Test
    void eventsOlderThanTheMaximumAgeAreDeadLetteredNotRun() {
        fleetUp.set(false);
        AsyncQueue q = queue();
        String id = q.submit("fn", "", ByteString.copyFromUtf8("{}"));
        nowMs.addAndGet(Duration.ofHours(1).plusSeconds(1).toMillis());
        fleetUp.set(true);

        AsyncInvocation dead = await(q, id, Status.DEAD_LETTERED);
        assertEquals("older than the maximum event age (3600 s)", dead.getDeadLetterReason());
        assertEquals(0, dead.getAttempts());
        assertEquals(List.of(), runs);
    }

    @Test
    void nothingRunsWhileNoWorkerIsConnectedAndQueuedEventsResumeWhenOneIs() {
        fleetUp.set(false);
        AsyncQueue q = queue();
        String id = q.submit("fn", "", ByteString.copyFromUtf8("{}"));
        assertEquals(Status.QUEUED, q.get(id).getStatus());
        assertEquals(List.of(), runs);
        fleetUp.set(true);
        assertEquals(1, await(q, id, Status.SUCCEEDED).getAttempts());
    }

    @Test
    void anAcceptedInvocationSurvivesAReopenAndOneThatWasRunningIsQueuedAgain() {
        CompletableFuture<InvokeResponse> never = new CompletableFuture<>();
        behaviour = payload -> payload.equals("{\"hang\":1}") ? never : succeed(payload);
        fleetUp.set(false);
        AsyncQueue first = queue();
        String queued = first.submit("fn", "", ByteString.copyFromUtf8("{\"queued\":1}"));
        first.stopDispatching();
        fleetUp.set(true);
        first.close();

        // A second queue on the same file while the first was "killed" mid-attempt.
        AsyncQueue second = queue();
        assertEquals(1, await(second, queued, Status.SUCCEEDED).getAttempts());
        String hanging = second.submit("fn", "", ByteString.copyFromUtf8("{\"hang\":1}"));
        await(second, hanging, Status.RUNNING);
        second.close();

        behaviour = AsyncQueueTest::succeed;
        AsyncQueue third = queue();
        AsyncInvocation rerun = await(third, hanging, Status.SUCCEEDED);
        assertEquals(2, rerun.getAttempts(), "the interrupted attempt counts, and the invocation ran again");
    }

    @Test
    void deletingAFunctionDeadLettersItsUnfinishedInvocations() {
        fleetUp.set(false);
        AsyncQueue q = queue();
        List<String> ids = q.submitAll("fn-a", "", List.of(ByteString.copyFromUtf8("{}"), ByteString.copyFromUtf8("{}")));
        String other = q.submit("fn-b", "", ByteString.copyFromUtf8("{}"));

        assertEquals(2, q.functionDeleted("fn-a"));
        for (String id : ids) {
            assertEquals("function deleted", q.get(id).getDeadLetterReason());
            assertEquals(Status.DEAD_LETTERED, q.get(id).getStatus());
        }
        assertEquals(Status.QUEUED, q.get(other).getStatus());
        assertEquals(2, q.deadLetters("fn-a", 0).size());
    }

    @Test
    void anAttemptThatFindsTheFunctionGoneDeadLettersAtOnce() {
        behaviour = payload -> CompletableFuture.failedFuture(new FloeException(ErrorType.RESOURCE_NOT_FOUND, "function fn not found"));
        AsyncQueue q = queue();
        String id = q.submit("fn", "", ByteString.copyFromUtf8("{}"));
        AsyncInvocation dead = await(q, id, Status.DEAD_LETTERED);
        assertEquals("function not found", dead.getDeadLetterReason());
        assertEquals(1, runs.size());
    }

    @Test
    void anAttemptWhoseAliasWasDeletedMeanwhileDeadLettersSayingSo() {
        behaviour = payload -> CompletableFuture.failedFuture(new FloeException(ErrorType.RESOURCE_NOT_FOUND,
                "alias live of function fn not found (expected: one of its aliases: it has none)"));
        AsyncQueue q = queue();
        String id = q.submit("fn", "live", ByteString.copyFromUtf8("{}"));
        AsyncInvocation dead = await(q, id, Status.DEAD_LETTERED);
        assertEquals("not found: alias live of function fn not found (expected: one of its aliases: it has none)",
                dead.getDeadLetterReason());
        assertEquals("live", dead.getQualifier());
        assertEquals(List.of("live"), qualifiers, "the qualifier is resolved when the attempt runs, not before");
    }

    @Test
    void aBatchKeepsItsOrderAndEveryEventRuns() {
        AsyncQueue q = queue();
        List<ByteString> payloads = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            payloads.add(ByteString.copyFromUtf8("{\"i\":" + i + "}"));
        }
        List<String> ids = q.submitAll("fn", "", payloads);
        assertEquals(500, ids.size());
        assertEquals(500, ids.stream().distinct().count());
        assertEquals("{\"i\":7}", q.get(ids.get(7)).getPayload().toStringUtf8());
        Await.until(WAIT, "all 500 succeeded", () -> q.count(Status.SUCCEEDED) == 500);
        assertEquals(500, runs.stream().distinct().count());
    }

    @Test
    void badRequestsAreRefusedWithWhatWasExpectedAndNothingIsQueued() {
        AsyncQueue q = queue();
        FloeException unknown = assertThrows(FloeException.class, () -> q.submit("nope", "", ByteString.EMPTY));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, unknown.type());
        FloeException qualifier = assertThrows(FloeException.class, () -> q.submit("fn", "no such!", ByteString.EMPTY));
        assertEquals(ErrorType.INVALID_PARAMETER, qualifier.type());
        assertTrue(qualifier.getMessage().contains("expected: $LATEST, a revision number, or an alias name"), qualifier.getMessage());
        FloeException large = assertThrows(FloeException.class,
                () -> q.submit("fn", "", ByteString.copyFrom(new byte[AsyncQueue.PAYLOAD_MAX_BYTES + 1])));
        assertEquals(ErrorType.REQUEST_TOO_LARGE, large.type());
        FloeException none = assertThrows(FloeException.class, () -> q.submitAll("fn", "", List.of()));
        assertTrue(none.getMessage().contains("expected: 1..10000"), none.getMessage());
        FloeException missing = assertThrows(FloeException.class, () -> q.get("no-such-id"));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, missing.type());
        assertEquals(0, q.count(Status.QUEUED) + q.count(Status.SUCCEEDED));
    }
}
