package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.controller.invoke.InvokeMetrics;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import dev.floe.proto.GetFunctionRequest;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ListEnvironmentsRequest;
import dev.floe.testing.Await;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invocations through a real controller to real test workers, over loopback. */
class InvocationEndToEndTest {
    @TempDir
    Path dataDir;
    private ControllerFixture fx;

    @BeforeEach
    void start() {
        fx = ControllerFixture.start(dataDir);
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private InvokeResponse invoke(String function, String payload) {
        return fx.invocations().invoke(InvokeRequest.newBuilder().setFunction(function)
                .setPayload(ByteString.copyFromUtf8(payload)).build());
    }

    private static FloeException refusal(Status.Code code, String errorType, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        FloeException floe = FloeException.fromThrowable(e);
        assertEquals(code, e.getStatus().getCode(), e.getMessage());
        assertEquals(errorType, floe.type().wireName(), e.getMessage());
        return floe;
    }

    /** Waits until the worker's environments of the function are all IDLE in the controller's view. */
    private void awaitIdle(String function, int count) {
        Await.until(Duration.ofSeconds(10), count + " idle environments of " + function, () -> {
            var envs = fx.fleet().listEnvironments(ListEnvironmentsRequest.newBuilder().setFunction(function).build())
                    .getEnvironmentsList();
            return envs.size() == count && envs.stream().allMatch(e -> e.getState() == Environment.State.IDLE);
        });
    }

    @Test
    void anInvocationReachesTheWorkerWithTheFullFunctionAndComesBackComplete() {
        TestWorker worker = fx.worker("w1", 1024);
        Function created = fx.create("echo", 256);

        InvokeResponse response = invoke("echo", "{\"hello\":1}");

        assertEquals("{\"hello\":1}", response.getPayload().toStringUtf8());
        assertEquals("w1", response.getWorkerId());
        assertEquals("echo", response.getFunction());
        assertEquals(1, response.getRevision());
        assertTrue(response.getCold());
        assertEquals("", response.getFunctionError());
        assertEquals(1, worker.invocations.size());
        assertEquals(fx.functions().getFunction(GetFunctionRequest.newBuilder().setName("echo").build()),
                worker.invocations.getFirst().getFunction());
        assertEquals(created, worker.invocations.getFirst().getFunction());
        assertEquals(response.getRequestId(), worker.invocations.getFirst().getRequestId());
        assertEquals(36, response.getRequestId().length(), "a UUID");
    }

    @Test
    void theWorkerCallsDeadlineIsTheFunctionTimeoutPlusQueueInitAndSlackWhateverTheCallers() {
        TestWorker worker = fx.worker("w1", 1024);
        fx.create("echo", 128);

        invoke("echo", "a");
        fx.invocations().withDeadlineAfter(2, TimeUnit.SECONDS)
                .invoke(InvokeRequest.newBuilder().setFunction("echo").build());

        long defaultBudget = worker.deadlinesMs.get(0);
        assertTrue(defaultBudget > 25_000 && defaultBudget <= 28_000, "3 s timeout + 10 s cold-start queue + 10 s init + 5 s slack: " + defaultBudget);
        // A caller that stops waiting does not stop the function: the worker call, which holds the
        // invocation's concurrency slot, lasts until the function returns.
        long callerBudget = worker.deadlinesMs.get(1);
        assertTrue(callerBudget > 25_000 && callerBudget <= 28_000, "not the caller's 2 s: " + callerBudget);
    }

    @Test
    void aSecondInvocationGoesToTheWorkerHoldingTheIdleEnvironment() {
        TestWorker first = fx.worker("w1", 1024);
        TestWorker second = fx.worker("w2", 1024);
        fx.create("echo", 256);

        InvokeResponse cold = invoke("echo", "1");
        awaitIdle("echo", 1);
        InvokeResponse warm = invoke("echo", "2");

        // The holder has less free memory now: only the warm rule sends the second invocation there.
        assertEquals(cold.getWorkerId(), warm.getWorkerId());
        assertEquals(cold.getEnvironmentId(), warm.getEnvironmentId());
        assertFalse(warm.getCold());
        assertEquals(2, first.invocations.size() + second.invocations.size());
        MeterRegistry meters = fx.controller.meters();
        assertEquals(1.0, meters.get(InvokeMetrics.PLACEMENTS).tag("decision", "warm").counter().count());
        assertEquals(1.0, meters.get(InvokeMetrics.PLACEMENTS).tag("decision", "cold").counter().count());
        assertEquals(2.0, meters.get(InvokeMetrics.INVOCATIONS).tag("outcome", "success").counter().count());
        assertEquals(2, meters.get(InvokeMetrics.LATENCY).tag("outcome", "success").timer().count());
    }

    @Test
    void aFullWorkerLeadsToAnotherWorker() {
        TestWorker big = fx.worker("big", 8192);
        TestWorker small = fx.worker("small", 1024);
        big.full(true);
        String name = functionAtHome("big", "big", "small");
        fx.create(name, 128);

        InvokeResponse response = invoke(name, "x");

        assertEquals("small", response.getWorkerId());
        assertEquals(1, big.refusals.get(), "the function's home was asked first");
        assertEquals(1, small.invocations.size());
    }

    @Test
    void aFleetWhereEveryWorkerIsFullAnswersTooManyRequests() {
        TestWorker a = fx.worker("a", 1024);
        TestWorker b = fx.worker("b", 2048);
        a.full(true);
        b.full(true);
        fx.create("echo", 128);

        FloeException e = refusal(Status.Code.RESOURCE_EXHAUSTED, "TooManyRequestsException", () -> invoke("echo", "x"));

        java.util.Iterator<String> ring = ring("a", "b").walk("echo");
        assertEquals("the fleet is full: no worker has room for echo (128 MB) now; tried " + ring.next() + ", " + ring.next()
                + "; retry after 1000 ms", e.getMessage());
        assertEquals(1, a.refusals.get());
        assertEquals(1, b.refusals.get());
        assertEquals(1.0, fx.controller.meters().get(InvokeMetrics.INVOCATIONS)
                .tag("outcome", "TooManyRequestsException").counter().count());
    }

    @Test
    void aFunctionLargerThanEveryWorkerSaysRetryingWillNotHelp() {
        fx.worker("w1", 1024);
        fx.create("huge", 2048);

        FloeException e = refusal(Status.Code.RESOURCE_EXHAUSTED, "TooManyRequestsException", () -> invoke("huge", "x"));

        assertEquals("no connected worker can ever hold huge (2048 MB; the largest worker budget is 1024 MB): retrying"
                + " will not help until a larger worker joins or the function's memory is lowered", e.getMessage());
    }

    @Test
    void anUnreachableWorkerIsSkipped() {
        TestWorker gone = fx.worker("gone", 8192);
        fx.worker("here", 1024);
        fx.create("echo", 128);
        // Its server stops but the fleet view still has it until its link ends: a crash's first moments.
        gone.stopServing();

        InvokeResponse response = invoke("echo", "x");

        assertEquals("here", response.getWorkerId());
    }

    @Test
    void refusalsBeforeAnyWorkerIsAsked() {
        FloeException unknown = refusal(Status.Code.NOT_FOUND, "ResourceNotFoundException", () -> invoke("ghost", "x"));
        assertEquals("function ghost not found (expected: the name of a created function)", unknown.getMessage());

        fx.create("echo", 128);
        FloeException noWorker = refusal(Status.Code.UNAVAILABLE, "ServiceUnavailableException", () -> invoke("echo", "x"));
        assertEquals("no worker is connected to run echo; start a worker and retry", noWorker.getMessage());

        TestWorker worker = fx.worker("w1", 1024);
        byte[] big = new byte[FunctionLimits.PAYLOAD_MAX_BYTES + 1];
        FloeException tooLarge = refusal(Status.Code.INVALID_ARGUMENT, "RequestTooLargeException",
                () -> fx.invocations().invoke(InvokeRequest.newBuilder().setFunction("echo").setPayload(ByteString.copyFrom(big)).build()));
        assertEquals("payload: 6291457 bytes (expected: at most 6291456)", tooLarge.getMessage());
        assertEquals(0, worker.invocations.size());
    }

    @Test
    void aPayloadOfExactlyTheLimitRuns() {
        fx.worker("w1", 1024);
        fx.create("echo", 128);
        byte[] payload = new byte[FunctionLimits.PAYLOAD_MAX_BYTES];
        payload[payload.length - 1] = 'z';

        InvokeResponse response = fx.invocations().invoke(InvokeRequest.newBuilder().setFunction("echo")
                .setPayload(ByteString.copyFrom(payload)).build());

        assertEquals(payload.length, response.getPayload().size());
        assertEquals("z", new String(new byte[] {response.getPayload().byteAt(payload.length - 1)}, StandardCharsets.US_ASCII));
    }

    @Test
    void concurrentInvocationsAllGetTheirOwnAnswers() throws Exception {
        TestWorker a = fx.worker("a", 4096);
        TestWorker b = fx.worker("b", 4096);
        fx.create("echo", 128);

        List<Future<InvokeResponse>> answers = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                String payload = "call-" + i;
                answers.add(callers.submit(() -> invoke("echo", payload)));
            }
        }

        for (int i = 0; i < answers.size(); i++) {
            assertEquals("call-" + i, answers.get(i).get().getPayload().toStringUtf8());
        }
        assertEquals(40, a.invocations.size() + b.invocations.size());
        assertEquals(40.0, fx.controller.meters().get(InvokeMetrics.INVOCATIONS).tag("outcome", "success").counter().count());
    }

    private static dev.floe.controller.placement.HashRing ring(String... workers) {
        dev.floe.controller.placement.HashRing ring = new dev.floe.controller.placement.HashRing();
        for (String w : workers) {
            ring.add(w);
        }
        return ring;
    }

    /** A function name whose home, among these workers, is {@code home}: Floe's default tries it first. */
    private static String functionAtHome(String home, String... workers) {
        dev.floe.controller.placement.HashRing ring = ring(workers);
        for (int i = 0; ; i++) {
            if (ring.home("echo-" + i).equals(home)) {
                return "echo-" + i;
            }
        }
    }
}
