package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.invoke.Admission;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fleet with room for two 128 MB environments, whose invocations wait at most 300 ms for room or
 * a slot: a full fleet throttles with Lambda's TooManyRequestsException and a retry hint, an
 * invocation that finds room within its wait runs, and reserved concurrency caps a function.
 */
class ThrottlingTest {
    private static final Duration WAIT = Duration.ofMillis(300);
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1, 256, UnaryOperator.identity(),
                b -> b.admission(new Admission.Limits(100, 100, WAIT)));
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    private static CompletableFuture<InvokeResponse> sleeping(String function, double seconds) {
        return CompletableFuture.supplyAsync(() -> fleet.invoke(function, "{\"op\":\"sleep\",\"seconds\":" + seconds + "}"),
                FleetFixture.THREADS);
    }

    @Test
    void aFullFleetThrottlesWithTooManyRequestsAndARetryHint() {
        fleet.createProbe("hog", FunctionConfig.newBuilder().setMemoryMb(256).setTimeoutSeconds(10));
        fleet.createProbe("late", FunctionConfig.newBuilder());
        CompletableFuture<InvokeResponse> hog = sleeping("hog", 3);
        Await.until(Duration.ofSeconds(10), "hog's environment to be running", () -> !fleet.environments("hog").isEmpty());

        FloeException refused = assertThrows(FloeException.class, () -> fleet.invoke("late", "{}"));

        assertEquals(ErrorType.TOO_MANY_REQUESTS, refused.type());
        assertEquals(WAIT, refused.retryAfter().orElseThrow(), "the hint crosses gRPC");
        // The view may still hold an idle environment the worker has just retired to make room for hog:
        // then the controller tried the worker, which said it was full, and the message names it.
        assertTrue(refused.getMessage().startsWith("the fleet is full: no worker has room for late (128 MB) now"), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("; retry after 300 ms"), refused.getMessage());
        Result cli = cliInvoke("late");
        assertEquals(1, cli.status());
        assertTrue(cli.err().contains("TooManyRequestsException"), cli.err());
        assertTrue(hog.join().getFunctionError().isEmpty());
        assertTrue(fleet.invoke("late", "{}").getCold(), "once the fleet has room again the invocation runs");
    }

    @Test
    void reservedConcurrencyCapsAFunctionWithoutANewRevision() {
        fleet.createProbe("capped", FunctionConfig.newBuilder());
        FleetFixture.Result set = fleet.floe("fn", "update", "capped", "--reserved", "1");
        assertEquals(0, set.status(), set.err());
        assertEquals(1, fleet.client.getFunction("capped").getRevision(), "concurrency alone makes no revision");
        assertEquals(1, fleet.client.getFunction("capped").getConcurrency().getReserved());

        CompletableFuture<InvokeResponse> first = sleeping("capped", 1.5);
        Await.until(Duration.ofSeconds(10), "capped's first invocation to be running", () -> !fleet.environments("capped").isEmpty());
        FloeException refused = assertThrows(FloeException.class, () -> fleet.invoke("capped", "{}"));

        assertEquals(ErrorType.TOO_MANY_REQUESTS, refused.type());
        assertTrue(refused.getMessage().contains("ReservedFunctionConcurrentInvocationLimitExceeded"), refused.getMessage());
        assertTrue(first.join().getFunctionError().isEmpty());
        assertEquals(0, fleet.floe("fn", "update", "capped", "--reserved", "none").status());
        assertFalse(fleet.client.getFunction("capped").getConcurrency().hasReserved());
    }

    @Test
    void aCallerThatGivesUpKeepsItsSlotUntilTheFunctionReturns() throws InterruptedException {
        fleet.createProbe("abandoned", FunctionConfig.newBuilder().setTimeoutSeconds(10));
        assertEquals(0, fleet.floe("fn", "update", "abandoned", "--reserved", "1").status());
        fleet.invoke("abandoned", "{}"); // warm, so the call below starts the function at once
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress(fleet.fleet.endpoint().host(),
                fleet.fleet.endpoint().port()).usePlaintext().intercept(fleet.fleet.controller().token().attach()).build();
        try {
            io.grpc.StatusRuntimeException gaveUp = assertThrows(io.grpc.StatusRuntimeException.class, () ->
                    dev.floe.proto.InvocationsGrpc.newBlockingStub(channel).withDeadlineAfter(500, java.util.concurrent.TimeUnit.MILLISECONDS)
                            .invoke(dev.floe.proto.InvokeRequest.newBuilder().setFunction("abandoned")
                                    .setPayload(com.google.protobuf.ByteString.copyFromUtf8("{\"op\":\"sleep\",\"seconds\":6}")).build()));
            assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, gaveUp.getStatus().getCode());

            // As in Lambda, the function runs on after its caller left, and counts toward the reservation until it returns.
            FloeException refused = assertThrows(FloeException.class, () -> fleet.invoke("abandoned", "{}"));
            assertEquals(ErrorType.TOO_MANY_REQUESTS, refused.type());
            assertTrue(refused.getMessage().contains("ReservedFunctionConcurrentInvocationLimitExceeded"), refused.getMessage());
            InvokeResponse after = Await.value(Duration.ofSeconds(30), "the slot back once the abandoned call returned", () -> {
                try {
                    return fleet.invoke("abandoned", "{}");
                } catch (FloeException e) {
                    if (e.type() != ErrorType.TOO_MANY_REQUESTS) {
                        throw e;
                    }
                    return null;
                }
            });
            assertTrue(after.getFunctionError().isEmpty(), after.getPayload().toStringUtf8());
        } finally {
            channel.shutdownNow().awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void anInvocationThatFindsRoomWithinItsWaitRuns() {
        fleet.createProbe("brief", FunctionConfig.newBuilder().setMemoryMb(256));
        fleet.createProbe("patient", FunctionConfig.newBuilder());
        fleet.invoke("brief", "{}"); // warm, so the next brief invocation starts at once
        CompletableFuture<InvokeResponse> brief = sleeping("brief", 0.1);
        Await.until(Duration.ofSeconds(10), "brief to be running", () -> fleet.environments("brief").stream()
                .anyMatch(e -> e.getState() == dev.floe.proto.Environment.State.BUSY));

        // The whole fleet is brief's now; patient waits in the queue until brief ends, well within its 300 ms.
        InvokeResponse response = fleet.invoke("patient", "{}");

        assertTrue(brief.isDone(), "patient ran only after brief ended");
        assertTrue(response.getFunctionError().isEmpty());
        assertTrue(brief.join().getFunctionError().isEmpty());
    }

    private static Result cliInvoke(String function) {
        FleetFixture.Result r = fleet.floe("invoke", function);
        return new Result(r.status(), r.err());
    }

    private record Result(int status, String err) {}
}
