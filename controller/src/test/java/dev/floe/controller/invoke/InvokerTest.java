package dev.floe.controller.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.function.Packages;
import dev.floe.controller.gateway.WorkerCallException;
import dev.floe.controller.gateway.WorkerCallException.Outcome;
import dev.floe.controller.gateway.WorkerGateway;
import dev.floe.controller.placement.RevisionPresence;
import dev.floe.controller.placement.FloeDefaultPlacement;
import dev.floe.controller.registry.FleetView;
import dev.floe.controller.registry.RecordingConnection;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.Registration;
import dev.floe.proto.WorkerInvokeRequest;
import io.grpc.Deadline;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The invoker's handling of each kind of worker answer, with workers that answer as scripted. */
class InvokerTest {
    @TempDir
    Path dataDir;
    private FunctionCatalog catalog;
    private final FleetView fleet = new FleetView(InstantSource.system(), Duration.ofSeconds(5));
    private final List<String> called = new CopyOnWriteArrayList<>();
    /** What each worker answers, by worker id; a worker not in it never answers. */
    private final Map<String, Supplier<CompletableFuture<InvokeResponse>>> answers = new ConcurrentHashMap<>();
    private final List<CompletableFuture<InvokeResponse>> pending = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private Invoker invoker;
    private Function function;

    /** No waiting: a full fleet refuses at once, as before the queue. */
    private Admission admission() {
        return new Admission(new Admission.Limits(1_000, 100, Duration.ZERO), timers);
    }

    @BeforeEach
    void setUp() throws IOException {
        catalog = FunctionCatalog.open(dataDir, InstantSource.system(), (n, k) -> { });
        function = catalog.create("fn", FunctionConfig.newBuilder().setRuntime("provided").setHandler("h").build(),
                Packages.bootstrap("fn"));
        WorkerGateway workers = ScriptedWorkers.answering((workerId, request, deadline) -> {
            called.add(workerId);
            var answer = answers.get(workerId);
            CompletableFuture<InvokeResponse> f = answer == null ? new CompletableFuture<>() : answer.get();
            pending.add(f);
            return f;
        });
        invoker = new Invoker(catalog, fleet, new dev.floe.controller.placement.LeastLoadedPlacement(), workers, new InvokeMetrics(new SimpleMeterRegistry()), admission());
    }

    @AfterEach
    void tearDown() {
        timers.shutdownNow();
        fleet.close();
        catalog.close();
    }

    private RecordingConnection worker(String id, int memoryMb, Environment... environments) {
        RecordingConnection connection = new RecordingConnection();
        fleet.register(Registration.newBuilder().setWorkerId(id).setAddress("127.0.0.1:1").setMemoryMb(memoryMb)
                .addAllEnvironments(List.of(environments)).build(), connection);
        return connection;
    }

    private static CompletableFuture<InvokeResponse> failing(Outcome outcome, ErrorType type, String message) {
        return ScriptedWorkers.ending(outcome, type, message);
    }

    private FloeException failure(CompletableFuture<InvokeResponse> result) {
        ExecutionException e = assertThrows(ExecutionException.class, result::get);
        return assertInstanceOf(FloeException.class, e.getCause());
    }

    private CompletableFuture<InvokeResponse> invoke() {
        return invoker.invoke(new InvokeCall("fn", null, false, null, null));
    }

    @Test
    void whenEveryWorkerIsUnreachableTheCallerIsToldSo() {
        worker("a", 2048);
        worker("b", 1024);
        answers.put("a", () -> failing(Outcome.UNREACHABLE, ErrorType.SERVICE_UNAVAILABLE, "unavailable: connection refused"));
        answers.put("b", () -> failing(Outcome.UNREACHABLE, ErrorType.SERVICE_UNAVAILABLE, "unavailable: connection refused"));

        FloeException e = failure(invoke());

        assertEquals(ErrorType.SERVICE_UNAVAILABLE, e.type());
        assertEquals("no worker could be reached to run fn (tried a, b); retry later", e.getMessage());
        assertEquals(List.of("a", "b"), called, "one attempt per worker, most free memory first");
    }

    @Test
    void otherWorkerErrorsPassThroughWithoutAnotherAttempt() {
        worker("a", 2048);
        worker("b", 1024);
        answers.put("a", () -> failing(Outcome.FAILED, ErrorType.SERVICE, "cannot get the code of fn: disk full"));

        FloeException e = failure(invoke());

        assertEquals(ErrorType.SERVICE, e.type());
        assertEquals("cannot get the code of fn: disk full", e.getMessage());
        assertEquals(List.of("a"), called);
    }

    @Test
    void anInvocationThatMayHaveRunIsNotPlacedAgain() {
        worker("a", 2048);
        worker("b", 2048);
        answers.put("a", () -> failing(Outcome.MAY_HAVE_RUN, ErrorType.SERVICE_UNAVAILABLE, "worker a did not answer before its deadline"));
        answers.put("b", () -> failing(Outcome.MAY_HAVE_RUN, ErrorType.SERVICE_UNAVAILABLE, "worker b did not answer before its deadline"));

        FloeException e = failure(invoke());

        assertEquals(ErrorType.SERVICE_UNAVAILABLE, e.type());
        assertEquals(1, called.size(), "whether to run it again is the caller's call: " + called);
        assertEquals("worker " + called.getFirst() + " did not answer before its deadline", e.getMessage());
    }

    /** An admission that queues for up to 30 s, with {@code fn}'s reserved concurrency at 1. */
    private Admission reservedOne() {
        Admission admission = new Admission(new Admission.Limits(1_000, 100, Duration.ofSeconds(30)), timers);
        admission.reserve("fn", dev.floe.proto.Concurrency.newBuilder().setReserved(1).build());
        return admission;
    }

    @Test
    void aCancelledInvocationKeepsItsConcurrencySlotUntilTheFunctionReturns() {
        worker("a", 2048);
        Admission admission = reservedOne();
        invoker = new Invoker(catalog, fleet, new dev.floe.controller.placement.LeastLoadedPlacement(), ScriptedWorkers.answering((workerId, request, deadline) -> {
            called.add(workerId);
            CompletableFuture<InvokeResponse> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission);

        CompletableFuture<InvokeResponse> first = invoke();
        first.cancel(false);
        CompletableFuture<InvokeResponse> second = invoke();

        assertFalse(pending.getFirst().isCancelled(), "the function runs on, as in Lambda, so its worker call stays");
        assertEquals(List.of("a"), called, "the second waits: the first still runs in the only reserved slot");
        assertEquals(1, admission.running("fn"));
        assertEquals(1, admission.waiting());
        assertFalse(second.isDone());

        pending.getFirst().complete(InvokeResponse.newBuilder().setPayload(ByteString.copyFromUtf8("late")).build());

        dev.floe.testing.Await.until(Duration.ofSeconds(10), "the second to be placed once the first returned", () -> called.size() == 2);
        assertTrue(first.isCancelled(), "the late answer goes nowhere");
        pending.get(1).complete(InvokeResponse.newBuilder().setPayload(ByteString.copyFromUtf8("ok")).build());
        assertEquals("ok", second.join().getPayload().toStringUtf8());
        assertEquals(0, admission.running("fn"));
    }

    @Test
    void losingTheWorkerOfACancelledInvocationFreesItsSlot() {
        worker("a", 2048);
        Admission admission = reservedOne();
        invoker = new Invoker(catalog, fleet, new dev.floe.controller.placement.LeastLoadedPlacement(), ScriptedWorkers.answering((workerId, request, deadline) -> {
            CompletableFuture<InvokeResponse> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission);

        invoke().cancel(false);
        assertEquals(1, admission.running("fn"));
        pending.getFirst().completeExceptionally(WorkerCallException.of(Outcome.MAY_HAVE_RUN, ErrorType.SERVICE_UNAVAILABLE,
                "worker a was lost"));

        assertEquals(0, admission.running("fn"), "nothing more will come from a lost worker");
    }

    @Test
    void aCancelledStreamIsReadToItsEndAndKeepsItsSlotUntilThen() {
        worker("a", 2048);
        Admission admission = reservedOne();
        List<Runnable> asks = new CopyOnWriteArrayList<>();
        CompletableFuture<InvokeResponse> call = new CompletableFuture<>();
        ChunkSink[] toController = new ChunkSink[1];
        invoker = new Invoker(catalog, fleet, new dev.floe.controller.placement.LeastLoadedPlacement(), ScriptedWorkers.streaming(chunks -> {
            toController[0] = chunks;
            return call;
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission);
        List<String> taken = new CopyOnWriteArrayList<>();
        // A caller that reads the first piece and then goes away without asking for more, as a cancelled call does.
        CompletableFuture<InvokeResponse> result = invoker.invoke(new InvokeCall("fn", null, false, null, null),
                (chunk, more) -> taken.add(chunk.toStringUtf8()));

        toController[0].accept(ByteString.copyFromUtf8("one"), () -> asks.add(() -> { }));
        assertEquals(0, asks.size(), "the caller has not taken the piece yet");
        result.cancel(false);
        assertEquals(1, asks.size(), "once the caller is gone, the rest of the body is asked for, so the function is not held back");
        toController[0].accept(ByteString.copyFromUtf8("two"), () -> asks.add(() -> { }));
        assertEquals(2, asks.size());
        assertEquals(List.of("one"), taken, "what comes after the caller left is dropped");
        assertFalse(call.isCancelled());
        assertEquals(1, admission.running("fn"), "the function still runs");

        call.complete(InvokeResponse.getDefaultInstance());

        assertEquals(0, admission.running("fn"));
    }

    @Test
    void aWarmPromiseLastsAsLongAsTheCall() {
        Environment idle = Environment.newBuilder().setId("e1").setFunction("fn").setRevision(1)
                .setRevisionId(function.getRevisionId()).setState(Environment.State.IDLE).setMemoryMb(128).build();
        worker("a", 2048, idle);

        CompletableFuture<InvokeResponse> result = invoke();

        assertEquals(new RevisionPresence(1, 128, 0, 1), fleet.snapshot(function.getRevisionId()).presence(function.getRevisionId(), "a"));
        pending.getFirst().complete(InvokeResponse.newBuilder().setPayload(ByteString.copyFromUtf8("ok")).build());
        assertEquals("a", result.join().getWorkerId());
        assertEquals(new RevisionPresence(1, 128, 0, 0), fleet.snapshot(function.getRevisionId()).presence(function.getRevisionId(), "a"));
    }

    @Test
    void theCallersDeadlineDoesNotCutTheFunctionShort() {
        worker("a", 2048);
        List<Deadline> deadlines = new CopyOnWriteArrayList<>();
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            deadlines.add(deadline);
            return new CompletableFuture<>();
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());
        Deadline soon = Deadline.after(1, TimeUnit.SECONDS);

        invoker.invoke(new InvokeCall("fn", null, false, null, soon));
        invoker.invoke(new InvokeCall("fn", null, false, null, null));

        // A caller that stops waiting does not stop the function (Lambda's behaviour): the worker call lasts
        // as long as the function may run, and the invocation holds its concurrency slot until then.
        for (Deadline d : deadlines) {
            long ms = d.timeRemaining(TimeUnit.MILLISECONDS);
            assertTrue(ms > 27_000 && ms <= 28_000, "3 s + 10 s queue + 10 s init + 5 s: " + ms);
        }
    }

    @Test
    void theWorkerRequestCarriesTheLatestFunctionAndARequestId() {
        worker("a", 2048);
        List<WorkerInvokeRequest> requests = new CopyOnWriteArrayList<>();
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            requests.add(request);
            return CompletableFuture.completedFuture(InvokeResponse.newBuilder().setWorkerId("a").build());
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());

        InvokeResponse response = invoker.invoke(new InvokeCall("fn", ByteString.copyFromUtf8("{}"), true, "ctx", null)).join();

        WorkerInvokeRequest sent = requests.getFirst();
        assertEquals(function, sent.getFunction());
        assertEquals("{}", sent.getPayload().toStringUtf8());
        assertTrue(sent.getTailLog());
        assertEquals("ctx", sent.getClientContext());
        assertEquals(sent.getRequestId(), response.getRequestId());
        assertEquals("fn", response.getFunction());
        assertEquals(1, response.getRevision());
    }

    /** A worker whose whole budget an environment of another function holds. */
    private RecordingConnection fullWorker(String id) {
        Environment other = Environment.newBuilder().setId("busy-1").setFunction("other").setRevision(1)
                .setRevisionId("other-rev").setState(Environment.State.BUSY).setMemoryMb(128).build();
        return worker(id, 128, other);
    }

    private void queueing(Duration maxWait) {
        Admission admission = new Admission(new Admission.Limits(1_000, 100, maxWait), timers);
        fleet.subscribe(new dev.floe.controller.registry.RoomSignal(admission::roomChanged));
        invoker = new Invoker(catalog, fleet, new dev.floe.controller.placement.LeastLoadedPlacement(), ScriptedWorkers.answering((workerId, request, deadline) -> {
            called.add(workerId);
            CompletableFuture<InvokeResponse> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission);
    }

    @Test
    void aFullFleetKeepsTheInvocationWaitingUntilRoomFrees() {
        queueing(Duration.ofSeconds(30));
        RecordingConnection link = fullWorker("a");

        CompletableFuture<InvokeResponse> result = invoke();
        assertTrue(called.isEmpty(), "no worker has room yet");
        assertTrue(!result.isDone(), "it waits rather than failing");

        fleet.report("a", link, Environment.newBuilder().setId("busy-1").setFunction("other").setRevision(1)
                .setRevisionId("other-rev").setState(Environment.State.RETIRED).setMemoryMb(128).build());

        dev.floe.testing.Await.until(Duration.ofSeconds(10), "the invocation to be placed once room freed", () -> called.equals(List.of("a")));
    }

    @Test
    void aFullFleetThrottlesWithARetryHintWhenTheWaitEnds() {
        queueing(Duration.ofMillis(200));
        fullWorker("a");

        FloeException e = failure(invoke());

        assertEquals(ErrorType.TOO_MANY_REQUESTS, e.type());
        assertEquals(Duration.ofMillis(200), e.retryAfter().orElseThrow());
        assertEquals("the fleet is full: no worker has room for fn (128 MB) now; retry after 200 ms", e.getMessage());
        assertTrue(called.isEmpty());
    }

    private Environment idleEnv(String id) {
        return Environment.newBuilder().setId(id).setFunction("fn").setRevision(1)
                .setRevisionId(function.getRevisionId()).setState(Environment.State.IDLE).setMemoryMb(128).build();
    }

    @Test
    void aWorkerWhoseWarmEnvironmentIsGoneRefusesAndTheInvocationIsPlacedAgain() {
        worker("a", 2048, idleEnv("e1"));
        worker("b", 1024);
        List<WorkerInvokeRequest> requests = new CopyOnWriteArrayList<>();
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            requests.add(request);
            called.add(id);
            return id.equals("a") ? failing(Outcome.GONE, ErrorType.ENVIRONMENT_GONE, "worker a has no idle environment of fn revision 1")
                    : CompletableFuture.completedFuture(InvokeResponse.newBuilder().setWorkerId(id).build());
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());

        assertEquals("b", invoke().join().getWorkerId());
        assertEquals(List.of("a", "b"), called);
        assertTrue(requests.get(0).getWarmOnly(), "placed on a's idle environment: a must not start another");
        assertFalse(requests.get(1).getWarmOnly(), "a cold start on b");
    }

    /** Issue 13: under many callers the only worker's idle environment is taken meanwhile; it is busy, not unreachable. */
    @Test
    void aGoneWarmEnvironmentOnTheOnlyWorkerIsNotAnOutage() {
        worker("a", 2048, idleEnv("e1"));
        List<WorkerInvokeRequest> requests = new CopyOnWriteArrayList<>();
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            requests.add(request);
            return request.getWarmOnly() ? failing(Outcome.GONE, ErrorType.ENVIRONMENT_GONE, "worker a has no idle environment of fn revision 1")
                    : CompletableFuture.completedFuture(InvokeResponse.newBuilder().setWorkerId(id).build());
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());

        assertEquals("a", invoke().join().getWorkerId());
        assertEquals(2, requests.size(), "placed on a's idle environment, then on a again: " + requests);
        assertTrue(requests.get(0).getWarmOnly());
        assertFalse(requests.get(1).getWarmOnly(), "the second time a takes whichever environment frees up, or starts one");
    }

    /** A worker asked again without its gone environment that is full makes the invocation wait for room, not fail as unreachable. */
    @Test
    void aGoneWarmEnvironmentOnAFullWorkerThrottles() {
        worker("a", 2048, idleEnv("e1"));
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            called.add(id);
            return request.getWarmOnly() ? failing(Outcome.GONE, ErrorType.ENVIRONMENT_GONE, "gone")
                    : failing(Outcome.FULL, ErrorType.WORKER_FULL, "worker a has 0 MB free");
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());

        FloeException e = failure(invoke());

        assertEquals(ErrorType.TOO_MANY_REQUESTS, e.type(), e.getMessage());
        assertEquals(List.of("a", "a"), called);
    }

    @Test
    void placingAgainAfterGoneEnvironmentsIsBounded() {
        for (String w : List.of("a", "b", "c", "d", "e")) {
            worker(w, 2048, idleEnv("env-" + w));
        }
        invoker = new Invoker(catalog, fleet, new FloeDefaultPlacement(), ScriptedWorkers.answering((id, request, deadline) -> {
            called.add(id);
            return failing(Outcome.GONE, ErrorType.ENVIRONMENT_GONE, "gone");
        }), new InvokeMetrics(new SimpleMeterRegistry()), admission());

        FloeException e = failure(invoke());

        assertEquals(ErrorType.SERVICE_UNAVAILABLE, e.type());
        assertTrue(e.getMessage().endsWith("was placed 4 times on warm environments that were gone by the time it arrived; retry"),
                e.getMessage());
        assertEquals(4, called.size(), "the first placement and 3 more: " + called);
    }
}
