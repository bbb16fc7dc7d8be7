package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.UpdateFunctionRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One invocation's whole path, client -> controller -> worker -> environment and back, on a real
 * fleet of three workers over gRPC on loopback, seen as a user sees it.
 */
class FleetTest {
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(3);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void sequentialInvocationsMakeExactlyOneColdStartAcrossTheFleet() {
        fleet.createProbe("sequential", FunctionConfig.newBuilder());

        List<InvokeResponse> responses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            responses.add(fleet.invoke("sequential", "{\"op\":\"count\"}"));
        }

        assertEquals(1, responses.stream().filter(InvokeResponse::getCold).count());
        assertTrue(responses.getFirst().getCold());
        assertEquals(1, responses.stream().map(InvokeResponse::getEnvironmentId).distinct().count());
        for (int i = 0; i < responses.size(); i++) {
            assertEquals(i + 1.0, FleetFixture.json(responses.get(i)).get("count"), "state kept across invocations");
        }
        InvokeResponse first = responses.getFirst();
        assertEquals("sequential", first.getFunction());
        assertEquals(1, first.getRevision());
        assertFalse(first.getWorkerId().isEmpty());
        assertTrue(first.getInitDurationMs() > 0);
    }

    @Test
    void theEnvironmentIsReportedFrozenBetweenInvocations() {
        fleet.createProbe("frozen", FunctionConfig.newBuilder());
        InvokeResponse first = fleet.invoke("frozen", "{}");

        fleet.awaitState(first.getEnvironmentId(), Environment.State.FROZEN);
        Environment env = fleet.environments("frozen").getFirst();
        InvokeResponse second = fleet.invoke("frozen", "{}");

        assertEquals(first.getEnvironmentId(), second.getEnvironmentId());
        assertFalse(second.getCold());
        assertEquals(first.getWorkerId(), env.getWorkerId());
        assertTrue(env.getPid() > 0);
        assertEquals(128, env.getMemoryMb());
        long inside = ((Number) FleetFixture.json(first).get("pid")).longValue();
        assertEquals(dev.floe.testing.Processes.hostPid(first.getEnvironmentId(), inside), env.getPid(),
                "the view reports the runtime's pid as the machine numbers it");
    }

    @Test
    void severalFunctionsEachKeepTheirEnvironments() {
        List<String> names = List.of("alpha", "beta", "gamma", "delta");
        names.forEach(n -> fleet.createProbe(n, FunctionConfig.newBuilder()));

        List<InvokeResponse> rounds = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (String name : names) {
                rounds.add(fleet.invoke(name, "{\"op\":\"count\"}"));
            }
        }

        assertEquals(names.size(), rounds.stream().filter(InvokeResponse::getCold).count());
        for (String name : names) {
            Set<String> envs = rounds.stream().filter(r -> r.getFunction().equals(name))
                    .map(InvokeResponse::getEnvironmentId).collect(Collectors.toSet());
            assertEquals(1, envs.size(), name + " kept one environment");
        }
    }

    @Test
    void concurrentInvocationsGetSeparateEnvironments() {
        fleet.createProbe("concurrent", FunctionConfig.newBuilder());

        List<CompletableFuture<InvokeResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> fleet.invoke("concurrent", "{\"op\":\"sleep\",\"seconds\":0.4}"), FleetFixture.THREADS));
        }

        Set<String> envs = calls.stream().map(CompletableFuture::join).map(InvokeResponse::getEnvironmentId)
                .collect(Collectors.toSet());
        assertEquals(4, envs.size());
    }

    @Test
    void anUpdateMakesARevisionThatColdStartsAndRetiresTheOld() {
        fleet.createProbe("evolving", FunctionConfig.newBuilder().putEnvironment("STAGE", "one"));
        InvokeResponse before = fleet.invoke("evolving", "{\"op\":\"env\"}");

        fleet.client.updateFunction(UpdateFunctionRequest.newBuilder().setName("evolving").setMemoryMb(256).build());
        InvokeResponse after = fleet.invoke("evolving", "{\"op\":\"env\"}");

        assertEquals(2, after.getRevision());
        assertTrue(after.getCold());
        assertNotEquals(before.getEnvironmentId(), after.getEnvironmentId());
        assertEquals("256", FleetFixture.json(after).get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        assertEquals("one", FleetFixture.json(after).get("STAGE"), "an update keeps what it does not change");
        dev.floe.testing.Await.until(java.time.Duration.ofSeconds(10), "the old revision's environment retires",
                () -> fleet.environments("evolving").stream().noneMatch(e -> e.getId().equals(before.getEnvironmentId())));
    }

    @Test
    void functionErrorsComeBackAsLambdaReportsThem() {
        fleet.createProbe("failing", FunctionConfig.newBuilder().setTimeoutSeconds(1));

        InvokeResponse error = fleet.invoke("failing", "{\"op\":\"error\",\"message\":\"nope\"}");
        InvokeResponse timeout = fleet.invoke("failing", "{\"op\":\"sleep\",\"seconds\":3}");
        InvokeResponse crash = fleet.invoke("failing", "{\"op\":\"crash\",\"code\":2}");

        assertEquals("Unhandled", error.getFunctionError());
        assertEquals("ProbeError", error.getErrorType());
        assertEquals("Sandbox.Timedout", timeout.getErrorType());
        assertEquals("Runtime.ExitError", crash.getErrorType());
        assertTrue(fleet.invoke("failing", "{}").getCold(), "after a crash the next invocation simply cold-starts");
    }

    @Test
    void refusalsAreClearErrors() {
        FloeException missing = assertThrows(FloeException.class, () -> fleet.invoke("no-such-function", "{}"));
        assertEquals(ErrorType.RESOURCE_NOT_FOUND, missing.type());

        fleet.createProbe("limits", FunctionConfig.newBuilder());
        FloeException tooLarge = assertThrows(FloeException.class,
                () -> fleet.client.invoke("limits", new byte[6 * 1024 * 1024 + 1], false));
        assertEquals(ErrorType.REQUEST_TOO_LARGE, tooLarge.type());

        FloeException badMemory = assertThrows(FloeException.class, () -> fleet.client.updateFunction(
                UpdateFunctionRequest.newBuilder().setName("limits").setMemoryMb(64).build()));
        assertEquals(ErrorType.INVALID_PARAMETER, badMemory.type());
        assertTrue(badMemory.getMessage().contains("128..10240"), badMemory.getMessage());
        assertEquals(1, fleet.client.getFunction("limits").getRevision(), "a refused update changes nothing");
    }

    @Test
    void aWorkerRunsInvocationsForItsControllerOnly() {
        fleet.createProbe("guarded", FunctionConfig.newBuilder());
        dev.floe.proto.Function function = fleet.client.getFunction("guarded");
        String worker = fleet.fleet.workers().getFirst().address();
        io.grpc.ManagedChannel stranger = io.grpc.netty.NettyChannelBuilder.forTarget(worker).usePlaintext().build();
        try {
            io.grpc.StatusRuntimeException refused = assertThrows(io.grpc.StatusRuntimeException.class, () ->
                    dev.floe.proto.WorkerInvokerGrpc.newBlockingStub(stranger).invoke(dev.floe.proto.WorkerInvokeRequest.newBuilder()
                            .setFunction(function).setRequestId("forged").build()));
            assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        } finally {
            dev.floe.common.Lifecycles.shutdown(stranger, java.time.Duration.ofSeconds(5));
        }
        assertEquals(List.of(), fleet.environments("guarded"), "no environment was started for the stranger");
    }

    @Test
    void theFleetWatchShowsAnEnvironmentsLifeAsItHappensAndTopDrawsIt() throws Exception {
        fleet.createProbe("watched", FunctionConfig.newBuilder());
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AutoCloseable watch = fleet.client.watch("watched", new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(dev.floe.proto.FleetChange change) {
                seen.add(change.hasEnvironment() ? change.getEnvironment().getState().name() : change.getChangeCase().name());
            }

            @Override
            public void onError(Throwable t) {
                seen.add("error " + t);
            }

            @Override
            public void onCompleted() {
                seen.add("completed");
            }
        })) {
            dev.floe.testing.Await.until(java.time.Duration.ofSeconds(10), "the snapshot", () -> seen.contains("SYNCED"));
            List<String> snapshot = List.copyOf(seen);
            // Heartbeats may already follow the snapshot as worker changes.
            assertEquals(List.of("WORKER", "WORKER", "WORKER", "SYNCED"), snapshot.subList(0, snapshot.indexOf("SYNCED") + 1),
                    "three workers, no environment yet");

            InvokeResponse first = fleet.invoke("watched", "{}");
            fleet.awaitState(first.getEnvironmentId(), Environment.State.FROZEN);
            dev.floe.testing.Await.until(java.time.Duration.ofSeconds(10), "the watch to see it frozen", () -> seen.contains("FROZEN"));

            List<String> lifecycle = seen.stream().filter(s -> !s.equals("WORKER")).toList();
            assertEquals(List.of("SYNCED", "STARTING", "INITIALIZING", "IDLE", "BUSY", "IDLE", "FROZEN"),
                    lifecycle.subList(0, 7), "every state in order: " + seen);
        }

        FleetFixture.Result top = fleet.floe("top", "--once", "--function", "watched");
        assertEquals(0, top.status(), top.err());
        assertTrue(top.out().contains("3 workers, 1 environment (0 busy, 0 thawed, 1 frozen, 0 starting)"), top.out());
        assertTrue(top.out().lines().anyMatch(l -> l.contains("watched") && l.contains("FROZEN")), top.out());
    }
}
