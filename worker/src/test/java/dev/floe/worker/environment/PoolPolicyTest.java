package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.worker.sandbox.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** How a worker shares its memory among environments: concurrency, keep-alive, eviction, revisions. */
class PoolPolicyTest {

    @Test
    void concurrentInvocationsGetSeparateEnvironments() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function probe = fixture.probe("parallel", FunctionConfig.newBuilder());
            List<CompletableFuture<InvocationResult>> running = List.of(
                    fixture.invokeAsync(probe, "{\"op\":\"sleep\",\"seconds\":0.5}", false),
                    fixture.invokeAsync(probe, "{\"op\":\"sleep\",\"seconds\":0.5}", false),
                    fixture.invokeAsync(probe, "{\"op\":\"sleep\",\"seconds\":0.5}", false));

            Set<String> environments = running.stream().map(CompletableFuture::join)
                    .map(InvocationResult::environmentId).collect(Collectors.toSet());

            assertEquals(3, environments.size());
        }
    }

    /** Issue 13: a burst of cold starts on a small machine queues beyond the bound; none fails. */
    @Test
    void aBurstOfColdStartsQueuesBeyondTheBoundAndNoneFails() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function probe = fixture.probe("burst", FunctionConfig.newBuilder().setMemoryMb(128));
            int bound = EnvironmentPool.Builder.defaultMaxColdStarts();
            int callers = Math.min(15, bound * 3);
            java.util.Map<String, EnvironmentState> states = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicInteger mostStarting = new java.util.concurrent.atomic.AtomicInteger();
            List<CompletableFuture<InvocationResult>> running = new java.util.ArrayList<>();
            for (int i = 0; i < callers; i++) {
                running.add(fixture.invokeAsync(probe, "{\"op\":\"sleep\",\"seconds\":0.3}", false));
            }

            List<InvocationResult> results = running.stream().map(CompletableFuture::join).toList();

            for (EnvironmentView view : fixture.events) {
                states.put(view.id(), view.state());
                long starting = states.values().stream()
                        .filter(s -> s == EnvironmentState.STARTING || s == EnvironmentState.INITIALIZING).count();
                mostStarting.accumulateAndGet((int) starting, Math::max);
            }
            assertEquals(callers, results.size());
            assertTrue(results.stream().noneMatch(InvocationResult::failed), "every invocation succeeds");
            assertTrue(mostStarting.get() <= bound, "at most " + bound + " cold starts at once, saw " + mostStarting.get());
        }
    }

    @Test
    void idleEnvironmentsRetireAfterTheKeepAlive() throws Exception {
        try (PoolFixture fixture = new PoolFixture(Sandbox.Options.defaults(), 1024,
                KeepAlivePolicy.idleTimeout(Duration.ofMillis(300)), Duration.ofMillis(20))) {
            Function probe = fixture.probe("short-lived", FunctionConfig.newBuilder());
            InvocationResult first = fixture.invoke(probe, "{}");
            java.nio.file.Path tmpImage = fixture.data.resolve("envs").resolve(first.environmentId()).resolve("tmp.img");
            boolean diskTmp = fixture.sandbox.info().tmp().equals("disk");
            assertEquals(diskTmp, java.nio.file.Files.exists(tmpImage), "the environment's /tmp while it lives");

            fixture.awaitState(first.environmentId(), EnvironmentState.RETIRED);

            assertEquals("idle", fixture.lastView(first.environmentId()).retireReason());
            dev.floe.testing.Await.until(Duration.ofSeconds(10), "the retired environment's /tmp is removed",
                    () -> !java.nio.file.Files.exists(tmpImage));
            assertTrue(fixture.invoke(probe, "{}").cold());
        }
    }

    @Test
    void aColdStartWithoutRoomRetiresTheLeastRecentlyUsedIdleEnvironment() throws Exception {
        try (PoolFixture fixture = new PoolFixture(Sandbox.Options.defaults(), 256,
                KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10)), Duration.ofMillis(20))) {
            Function a = fixture.probe("a", FunctionConfig.newBuilder());
            Function b = fixture.probe("b", FunctionConfig.newBuilder());
            Function c = fixture.probe("c", FunctionConfig.newBuilder());
            InvocationResult ranA = fixture.invoke(a, "{}");
            InvocationResult ranB = fixture.invoke(b, "{}");

            InvocationResult ranC = fixture.invoke(c, "{}");

            assertTrue(ranC.cold());
            fixture.awaitState(ranA.environmentId(), EnvironmentState.RETIRED);
            assertEquals("memory-pressure", fixture.lastView(ranA.environmentId()).retireReason());
            assertFalse(fixture.invoke(b, "{}").cold(), "the more recently used environment stays");
            assertNotEquals(EnvironmentState.RETIRED, fixture.stateOf(ranB.environmentId()));
        }
    }

    @Test
    void aBusyEnvironmentIsNeverRetiredForRoom() throws Exception {
        try (PoolFixture fixture = new PoolFixture(Sandbox.Options.defaults(), 128,
                KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10)), Duration.ofMillis(20))) {
            Function slow = fixture.probe("slow", FunctionConfig.newBuilder());
            Function other = fixture.probe("other", FunctionConfig.newBuilder());
            CompletableFuture<InvocationResult> busy = fixture.invokeAsync(slow, "{\"op\":\"sleep\",\"seconds\":1}", false);
            fixture.awaitBusy(slow);

            CompletionException refused = assertThrows(CompletionException.class, () -> fixture.invoke(other, "{}"));

            FloeException cause = (FloeException) refused.getCause();
            assertEquals(ErrorType.WORKER_FULL, cause.type());
            assertTrue(cause.getMessage().contains("needs 128 MB"), cause.getMessage());
            assertEquals("", busy.join().functionError(), "the busy invocation completes unharmed");
        }
    }

    @Test
    void aNewRevisionNeverReusesAnOldRevisionsEnvironment() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function v1 = fixture.probe("evolving", FunctionConfig.newBuilder());
            Function v2 = v1.toBuilder().setRevision(2).setRevisionId("rev-2-" + v1.getRevisionId()).build();
            InvocationResult old = fixture.invoke(v1, "{}");

            InvocationResult fresh = fixture.invoke(v2, "{}");

            assertTrue(fresh.cold());
            assertNotEquals(old.environmentId(), fresh.environmentId());
            fixture.pool.retireFunction("evolving", java.util.Set.of(v2.getRevisionId()));
            fixture.awaitState(old.environmentId(), EnvironmentState.RETIRED);
            assertEquals("revision", fixture.lastView(old.environmentId()).retireReason());
            assertFalse(fixture.invoke(v2, "{}").cold());
        }
    }

    @Test
    void retiringAFunctionKeepsEveryRevisionItIsToldToKeep() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function v1 = fixture.probe("aliased", FunctionConfig.newBuilder());
            Function v2 = v1.toBuilder().setRevision(2).setRevisionId("rev-2-" + v1.getRevisionId()).build();
            Function v3 = v1.toBuilder().setRevision(3).setRevisionId("rev-3-" + v1.getRevisionId()).build();
            InvocationResult aliased = fixture.invoke(v1, "{}");
            InvocationResult superseded = fixture.invoke(v2, "{}");
            fixture.invoke(v3, "{}");

            // The latest, and revision 1 that an alias points at.
            fixture.pool.retireFunction("aliased", java.util.Set.of(v3.getRevisionId(), v1.getRevisionId()));

            fixture.awaitState(superseded.environmentId(), EnvironmentState.RETIRED);
            InvocationResult again = fixture.invoke(v1, "{}");
            assertFalse(again.cold());
            assertEquals(aliased.environmentId(), again.environmentId());
            assertFalse(fixture.invoke(v3, "{}").cold());
        }
    }

    @Test
    void theLogTailHasLambdasLinesAndTheFunctionsOutput() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function probe = fixture.probe("chatty", FunctionConfig.newBuilder());

            InvocationResult cold = fixture.invokeAsync(probe, "{\"op\":\"log\",\"lines\":[\"hello from the handler\"]}", true).join();
            InvocationResult warm = fixture.invokeAsync(probe, "{\"op\":\"log\",\"lines\":[\"again\"]}", true).join();

            String coldTail = cold.logTail();
            assertTrue(coldTail.contains("INIT_START Runtime Version: provided"), coldTail);
            assertTrue(coldTail.contains("probe initializing"), coldTail);
            assertTrue(coldTail.contains("START RequestId: " + cold.requestId() + " Version: 1"), coldTail);
            assertTrue(coldTail.contains("hello from the handler"), coldTail);
            assertTrue(coldTail.contains("END RequestId: " + cold.requestId()), coldTail);
            assertTrue(coldTail.matches("(?s).*REPORT RequestId: " + cold.requestId()
                    + "\tDuration: [0-9.]+ ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB\tInit Duration: [0-9.]+ ms.*"),
                    coldTail);
            String warmTail = warm.logTail();
            assertTrue(warmTail.startsWith("START RequestId: " + warm.requestId()), warmTail);
            assertTrue(warmTail.contains("again"));
            assertFalse(warmTail.contains("Init Duration"), warmTail);
            assertFalse(warmTail.contains("hello from the handler"), "the tail is this invocation's");
            assertEquals((long) Math.ceil(cold.durationMs() + cold.initDurationMs()), cold.billedDurationMs(),
                    "a cold start bills its init phase with the invocation, rounded up to the millisecond");
            assertEquals((long) Math.ceil(warm.durationMs()), warm.billedDurationMs());
        }
    }

    @Test
    void theLogTailIsTheLastFourKilobytes() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function probe = fixture.probe("verbose", FunctionConfig.newBuilder());
            String lines = String.join(",", java.util.Collections.nCopies(200, "\"" + "z".repeat(60) + "\""));

            InvocationResult result = fixture.invokeAsync(probe, "{\"op\":\"log\",\"lines\":[" + lines + "]}", true).join();

            assertTrue(result.logTail().length() <= 4096 && result.logTail().length() > 4000, "tail " + result.logTail().length());
            assertTrue(result.logTail().contains("REPORT RequestId: " + result.requestId()));
        }
    }

    @Test
    void anInvocationPlacedOnAGoneWarmEnvironmentIsRefusedNotStartedCold() throws Exception {
        try (PoolFixture fixture = PoolFixture.standard()) {
            Function probe = fixture.probe("gone", FunctionConfig.newBuilder());
            CompletableFuture<InvocationResult> refused = fixture.pool.invoke(probe,
                    new InvocationRequest("r-1", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), false, ""), true);

            java.util.concurrent.CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.CompletionException.class, refused::join);
            dev.floe.common.FloeException floe = (dev.floe.common.FloeException) e.getCause();
            assertEquals(dev.floe.common.ErrorType.ENVIRONMENT_GONE, floe.type());
            assertTrue(floe.getMessage().contains(" has no idle environment of gone revision ")
                    && floe.getMessage().endsWith(" (it retired or was taken meanwhile)"), floe.getMessage());

            InvocationResult cold = fixture.invoke(probe, "{}");
            assertTrue(cold.cold(), "nothing was started for the refused invocation");
            InvocationResult warm = fixture.pool.invoke(probe,
                    new InvocationRequest("r-2", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), false, ""), true).join();
            assertEquals(cold.environmentId(), warm.environmentId(), "with an idle environment, warm-only runs on it");
        }
    }
}
