package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.async.RetryPolicy;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.DeleteFunctionRequest;
import dev.floe.proto.GetInvocationRequest;
import dev.floe.proto.InvokeAsyncRequest;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.ListDeadLettersRequest;
import dev.floe.testing.Await;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asynchronous invocations and worker loss through a real controller to test workers, over loopback. */
class AsyncInvocationEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Lambda's retries, without its minutes of backoff. */
    private static final RetryPolicy QUICK = new RetryPolicy(2, Duration.ZERO, Duration.ofMillis(50), Duration.ofMillis(200),
            Duration.ofHours(1));

    @TempDir
    Path dataDir;
    private ControllerFixture fx;

    @BeforeEach
    void start() {
        fx = ControllerFixture.start(dataDir, b -> b.asyncRetryPolicy(QUICK));
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private List<String> queue(String function, String... payloads) {
        InvokeAsyncRequest.Builder request = InvokeAsyncRequest.newBuilder().setFunction(function);
        for (String p : payloads) {
            request.addPayloads(ByteString.copyFromUtf8(p));
        }
        return fx.invocations().invokeAsync(request.build()).getInvocationIdsList();
    }

    private AsyncInvocation get(String id) {
        return fx.invocations().getInvocation(GetInvocationRequest.newBuilder().setInvocationId(id).build());
    }

    private AsyncInvocation await(String id, AsyncInvocation.Status status) {
        return Await.value(WAIT, id + " " + status, () -> {
            AsyncInvocation inv = get(id);
            return inv.getStatus() == status ? inv : null;
        });
    }

    @Test
    void queuedInvocationsRunOnAWorkerAndShowTheirResults() {
        TestWorker worker = fx.worker("w1", 1024);
        fx.create("echo", 128);

        List<String> ids = queue("echo", "{\"n\":1}", "{\"n\":2}");

        assertEquals(2, ids.size());
        AsyncInvocation first = await(ids.get(0), AsyncInvocation.Status.SUCCEEDED);
        assertEquals("{\"n\":1}", first.getResult().toStringUtf8());
        assertEquals(1, first.getAttempts());
        assertEquals(1, first.getRevision());
        assertEquals("{\"n\":2}", await(ids.get(1), AsyncInvocation.Status.SUCCEEDED).getResult().toStringUtf8());
        assertTrue(worker.invocations.stream().anyMatch(r -> r.getRequestId().equals(first.getRequestId())),
                "the worker ran it under the request id the invocation shows");
    }

    @Test
    void aFunctionThatKeepsFailingRunsThreeTimesThenLandsInItsDeadLetterList() {
        TestWorker worker = fx.worker("w1", 1024);
        worker.failOn("fail");
        fx.create("flaky", 128);

        String id = queue("flaky", "{\"fail\":true}").getFirst();

        AsyncInvocation dead = await(id, AsyncInvocation.Status.DEAD_LETTERED);
        assertEquals(3, dead.getAttempts(), "the first attempt and Lambda's two retries");
        assertEquals("retries exhausted after 3 attempts", dead.getDeadLetterReason());
        assertEquals("Unhandled", dead.getFunctionError());
        assertEquals(3, worker.invocations.size());
        List<AsyncInvocation> dlq = fx.invocations().listDeadLetters(ListDeadLettersRequest.newBuilder().setFunction("flaky").build())
                .getInvocationsList();
        assertEquals(List.of(id), dlq.stream().map(AsyncInvocation::getInvocationId).toList());
        assertEquals("{\"fail\":true}", dlq.getFirst().getPayload().toStringUtf8(), "the event is kept for whoever replays it");
    }

    @Test
    void deletingAFunctionDeadLettersWhatIsStillQueuedForIt() {
        fx.create("doomed", 128);
        // No worker: the events wait.
        List<String> ids = queue("doomed", "{}", "{}", "{}");
        assertEquals(AsyncInvocation.Status.QUEUED, get(ids.getFirst()).getStatus());

        fx.functions().deleteFunction(DeleteFunctionRequest.newBuilder().setName("doomed").build());

        for (String id : ids) {
            AsyncInvocation inv = get(id);
            assertEquals(AsyncInvocation.Status.DEAD_LETTERED, inv.getStatus());
            assertEquals("function deleted", inv.getDeadLetterReason());
        }
    }

    @Test
    void refusalsSayWhatWasExpected() {
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> queue("nope", "{}"));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, FloeException.fromThrowable(unknown).type());
        fx.create("f", 128);
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> queue("f"));
        assertEquals(ErrorType.INVALID_PARAMETER, FloeException.fromThrowable(none).type());
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> get("not-an-id"));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, FloeException.fromThrowable(missing).type());
        assertTrue(missing.getStatus().getDescription().contains("expected: an id that an asynchronous invoke returned"));
    }

    @Test
    void aSilentWorkersSynchronousCallFailsPromptlyAndItsAsynchronousOneRunsElsewhere() {
        TestWorker silent = fx.worker("w1", 1024);
        silent.holdOn("hold");
        fx.create("slow", 128);

        String asyncId = queue("slow", "{\"hold\":\"async\"}").getFirst();
        Await.until(WAIT, "the worker holds the asynchronous invocation", () -> silent.invocations.size() == 1);
        StatusRuntimeException[] syncFailure = new StatusRuntimeException[1];
        Thread caller = Thread.ofVirtual().start(() -> syncFailure[0] = assertThrows(StatusRuntimeException.class, () -> fx.invocations()
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .invoke(InvokeRequest.newBuilder().setFunction("slow").setPayload(ByteString.copyFromUtf8("{\"hold\":\"sync\"}")).build())));
        Await.until(WAIT, "the worker holds the synchronous invocation too", () -> silent.invocations.size() == 2);
        TestWorker healthy = fx.worker("w2", 1024);

        silent.fallSilent();
        Await.until(WAIT, "the caller gets its answer", () -> syncFailure[0] != null);

        FloeException lost = FloeException.fromThrowable(syncFailure[0]);
        assertEquals(ErrorType.SERVICE_UNAVAILABLE, lost.type(), lost.getMessage());
        assertTrue(lost.getMessage().startsWith("worker w1 was lost while running invocation"), lost.getMessage());
        fx.awaitWorkers("w2");
        AsyncInvocation done = await(asyncId, AsyncInvocation.Status.SUCCEEDED);
        assertEquals(2, done.getAttempts(), "the lost attempt, then one on the other worker");
        assertEquals(1, healthy.invocations.size());
        try {
            caller.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
