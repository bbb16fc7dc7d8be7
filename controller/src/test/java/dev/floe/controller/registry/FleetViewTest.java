package dev.floe.controller.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.HostPort;
import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.RevisionPresence;
import dev.floe.controller.placement.WorkerCapacity;
import dev.floe.proto.Environment;
import dev.floe.proto.Environment.State;
import dev.floe.proto.Registration;
import dev.floe.proto.Sandbox;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FleetViewTest {
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final Sandbox SANDBOX = Sandbox.newBuilder().setFreezer("cgroup2").setMemoryLimit("cgroup2").setTmp("disk").build();

    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final InstantSource clock = () -> now.get();
    private final FleetView fleet = new FleetView(clock, Duration.ofSeconds(5));
    /** What the view told its subscribers of workers joining and leaving. */
    private final List<String> membership = new CopyOnWriteArrayList<>();

    {
        fleet.subscribe(new FleetSubscriber() {
            @Override
            public void workerJoined(WorkerInfo worker, WorkerConnection link) {
                membership.add("joined " + worker.id() + " at " + worker.address());
            }

            @Override
            public void workerLeft(String workerId, Departure departure, String reason) {
                membership.add("left " + workerId + " " + departure + ": " + reason);
            }
        });
    }

    @AfterEach
    void close() {
        fleet.close();
    }

    private static Registration registration(String id, int memoryMb, Environment... environments) {
        return Registration.newBuilder().setWorkerId(id).setAddress("10.0.0.7:7071").setMemoryMb(memoryMb)
                .setSandbox(SANDBOX).addAllEnvironments(List.of(environments)).build();
    }

    private static Environment env(String id, String revision, State state, int memoryMb) {
        return Environment.newBuilder().setId(id).setFunction("fn-" + revision).setRevision(1).setRevisionId(revision)
                .setState(state).setMemoryMb(memoryMb).build();
    }

    @Test
    void anotherWorkerWithTheSameIdIsRefusedWhileTheFirstReports() {
        RecordingConnection first = new RecordingConnection();
        fleet.register(registration("w1", 2048).toBuilder().setInstance("run-a").build(), first);
        Registration impostor = registration("w1", 1024).toBuilder().setInstance("run-b").build();

        dev.floe.common.FloeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                dev.floe.common.FloeException.class, () -> fleet.checkRegistration(impostor));
        org.junit.jupiter.api.Assertions.assertThrows(dev.floe.common.FloeException.class,
                () -> fleet.register(impostor, new RecordingConnection()));

        assertEquals(dev.floe.common.ErrorType.RESOURCE_CONFLICT, refused.type());
        assertTrue(refused.getMessage().contains("worker id w1 is already connected from 10.0.0.7:7071"), refused.getMessage());
        assertEquals(2048, fleet.workers().getFirst().memoryMb(), "the first worker keeps its place");

        fleet.register(registration("w1", 2048).toBuilder().setInstance("run-a").build(), new RecordingConnection());
        assertEquals(1, fleet.size(), "the same run reconnecting replaces its old connection");

        advance(Duration.ofSeconds(6));
        fleet.register(impostor, new RecordingConnection());
        assertEquals(1024, fleet.workers().getFirst().memoryMb(), "once the first is silent past the timeout, the id is free");
    }

    private void advance(Duration d) {
        now.set(now.get().plus(d));
    }

    @Test
    void aRegisteredWorkerIsInTheViewAndItsSubscribersAreToldWhereItIs() {
        fleet.register(registration("w1", 2048), new RecordingConnection());

        WorkerInfo w = fleet.workers().getFirst();
        assertEquals(new WorkerInfo("w1", HostPort.parse("10.0.0.7:7071"), 2048, 0, 0, 0, SANDBOX, T0, null), w);
        assertEquals(List.of("joined w1 at 10.0.0.7:7071"), membership);
        assertEquals(1, fleet.size());
    }

    @Test
    void environmentReportsShapeMemoryAndTheRevisionIndex() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 2048), link);

        fleet.report("w1", link, env("e1", "r1", State.STARTING, 256));
        assertEquals(new WorkerCapacity("w1", 2048, 256, 0), fleet.snapshot("r1").workers().getFirst());
        assertEquals(RevisionPresence.NONE, fleet.snapshot("r1").presence("r1", "w1"));

        fleet.report("w1", link, env("e1", "r1", State.IDLE, 256));
        fleet.report("w1", link, env("e2", "r1", State.BUSY, 256));
        fleet.report("w1", link, env("e3", "r2", State.FROZEN, 512));
        FleetSnapshot snapshot = fleet.snapshot("r1");
        assertEquals(new WorkerCapacity("w1", 2048, 1024, 768), snapshot.workers().getFirst());
        assertEquals(new RevisionPresence(1, 256, 1, 0), snapshot.presence("r1", "w1"));
        assertEquals(Map.of(), snapshot.revisions().getOrDefault("r2", Map.of()), "a snapshot carries only the revision asked for");
        assertEquals(new RevisionPresence(1, 512, 0, 0), fleet.snapshot("r2").presence("r2", "w1"));
        assertEquals(List.of("e1", "e2"), fleet.environments("fn-r1").stream().map(Environment::getId).toList());
        assertEquals(3, fleet.environments("").size());
        assertEquals(3, fleet.workers().getFirst().environments());
    }

    @Test
    void anAnswerThatOvertakesTheBusyReportLeavesTheEnvironmentAvailable() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 128), link);
        fleet.report("w1", link, env("e1", "r1", State.FROZEN, 128).toBuilder().setInvocations(3).build());

        fleet.answered("w1", "e1"); // the 4th invocation, answered before the report that it started
        fleet.report("w1", link, env("e1", "r1", State.BUSY, 128).toBuilder().setInvocations(4).build());
        assertEquals(new RevisionPresence(0, 0, 1, 0, 1), fleet.snapshot("r1").presence("r1", "w1"),
                "the late BUSY report is of an answered invocation: the environment takes the next one");

        fleet.report("w1", link, env("e1", "r1", State.FROZEN, 128).toBuilder().setInvocations(4).build());
        fleet.report("w1", link, env("e1", "r1", State.BUSY, 128).toBuilder().setInvocations(5).build());
        assertEquals(new RevisionPresence(0, 0, 1, 0, 0), fleet.snapshot("r1").presence("r1", "w1"),
                "the 5th invocation was not answered: busy");
    }

    @Test
    void aRetiredEnvironmentLeavesTheView() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 2048), link);
        fleet.report("w1", link, env("e1", "r1", State.IDLE, 256));

        fleet.report("w1", link, env("e1", "r1", State.RETIRED, 256).toBuilder().setRetireReason("idle").build());

        assertEquals(List.of(), fleet.environments(""));
        assertEquals(new WorkerCapacity("w1", 2048, 0, 0), fleet.snapshot("r1").workers().getFirst());
        assertEquals(RevisionPresence.NONE, fleet.snapshot("r1").presence("r1", "w1"));
    }

    @Test
    void anEnvironmentAlwaysBelongsToTheWorkerWhoseStreamReportedIt() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 2048), link);

        fleet.report("w1", link, env("e1", "r1", State.IDLE, 128).toBuilder().setWorkerId("someone-else").build());

        assertEquals("w1", fleet.environments("").getFirst().getWorkerId());
    }

    @Test
    void heartbeatsAreRecorded() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 2048), link);
        advance(Duration.ofSeconds(1));

        fleet.heartbeat("w1", link, 300);

        WorkerInfo w = fleet.workers().getFirst();
        assertEquals(T0.plusSeconds(1), w.lastHeartbeat());
        assertEquals(300, w.reportedUsedMb());
    }

    @Test
    void aDisconnectedWorkerLeavesWithItsEnvironments() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 2048, env("e1", "r1", State.IDLE, 128)), link);

        fleet.disconnected("w1", link);

        assertEquals(List.of(), fleet.workers());
        assertEquals(List.of(), fleet.environments(""));
        assertEquals(List.of(), fleet.snapshot("r1").workers());
        assertEquals(RevisionPresence.NONE, fleet.snapshot("r1").presence("r1", "w1"));
        assertEquals(List.of("joined w1 at 10.0.0.7:7071", "left w1 ENDED: its stream ended"), membership);
    }

    @Test
    void aSilentWorkerExpiresAfterTheHeartbeatTimeout() {
        RecordingConnection silent = new RecordingConnection();
        RecordingConnection lively = new RecordingConnection();
        fleet.register(registration("silent", 1024, env("e1", "r1", State.IDLE, 128)), silent);
        fleet.register(registration("lively", 1024), lively);

        advance(Duration.ofSeconds(3));
        fleet.heartbeat("lively", lively, 0);
        advance(Duration.ofSeconds(2));
        assertEquals(List.of(), fleet.expireSilent(), "exactly at the timeout is not past it");

        advance(Duration.ofMillis(1));
        assertEquals(List.of("silent"), fleet.expireSilent());
        assertEquals(List.of("lively"), fleet.workers().stream().map(WorkerInfo::id).toList());
        assertEquals(List.of(), fleet.environments(""));
        assertEquals(List.of("worker silent reported nothing for 5000 ms (expected: a heartbeat at least every 5000 ms)"),
                silent.closed);
        assertEquals(List.of(), lively.closed);
        assertEquals("left silent SILENT: no heartbeat for 5000 ms", membership.getLast(),
                "subscribers learn that nothing more will come from it");
    }

    @Test
    void anyReportKeepsAWorkerAlive() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 1024), link);
        advance(Duration.ofSeconds(4));
        fleet.report("w1", link, env("e1", "r1", State.STARTING, 128));
        advance(Duration.ofSeconds(4));

        assertEquals(List.of(), fleet.expireSilent());
    }

    @Test
    void registeringAgainRebuildsTheWorkerWithoutDuplicatesAndClosesTheOldLink() {
        RecordingConnection first = new RecordingConnection();
        fleet.register(registration("w1", 1024, env("e1", "r1", State.IDLE, 128)), first);
        fleet.report("w1", first, env("e2", "r1", State.BUSY, 128));

        RecordingConnection second = new RecordingConnection();
        fleet.register(registration("w1", 1024, env("e1", "r1", State.FROZEN, 128), env("e3", "r2", State.IDLE, 256)), second);

        assertEquals(List.of("e1", "e3"), fleet.environments("").stream().map(Environment::getId).toList());
        assertEquals(new WorkerCapacity("w1", 1024, 384, 384), fleet.snapshot("r1").workers().getFirst());
        assertEquals(new RevisionPresence(1, 128, 0, 0), fleet.snapshot("r1").presence("r1", "w1"));
        assertEquals(1, first.closed.size());
        assertEquals(List.of("joined w1 at 10.0.0.7:7071", "left w1 REPLACED: worker w1 registered again", "joined w1 at 10.0.0.7:7071"),
                membership);

        // The old stream's stragglers and its end change nothing.
        fleet.report("w1", first, env("e9", "r1", State.IDLE, 128));
        fleet.disconnected("w1", first);
        assertEquals(List.of("e1", "e3"), fleet.environments("").stream().map(Environment::getId).toList());
        assertEquals(1, fleet.size());
    }

    @Test
    void registeringAgainOnTheSameStreamKeepsItOpen() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 1024), link);
        fleet.register(registration("w1", 2048), link);

        assertEquals(List.of(), link.closed);
        assertEquals(2048, fleet.workers().getFirst().memoryMb());
    }

    @Test
    void aPromiseHoldsAWarmEnvironmentUntilItIsKeptOrReleased() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 1024, env("e1", "r1", State.IDLE, 128), env("e2", "r1", State.FROZEN, 128)), link);

        WarmPromise kept = fleet.promise("w1", "r1");
        WarmPromise released = fleet.promise("w1", "r1");
        assertEquals(new RevisionPresence(2, 256, 0, 2), fleet.snapshot("r1").presence("r1", "w1"));

        fleet.report("w1", link, env("e1", "r1", State.BUSY, 128));
        assertEquals(new RevisionPresence(1, 128, 1, 1), fleet.snapshot("r1").presence("r1", "w1"),
                "the environment that went busy kept one promise");

        released.release();
        kept.release();
        released.release();
        assertEquals(new RevisionPresence(1, 128, 1, 0), fleet.snapshot("r1").presence("r1", "w1"));
    }

    @Test
    void promisesOnAWorkerThatLeftAreGone() {
        RecordingConnection link = new RecordingConnection();
        fleet.register(registration("w1", 1024, env("e1", "r1", State.IDLE, 128)), link);
        WarmPromise promise = fleet.promise("w1", "r1");

        fleet.disconnected("w1", link);
        fleet.register(registration("w1", 1024, env("e1", "r1", State.IDLE, 128)), new RecordingConnection());

        assertEquals(new RevisionPresence(1, 128, 0, 0), fleet.snapshot("r1").presence("r1", "w1"));
        promise.release();
        assertEquals(new RevisionPresence(1, 128, 0, 0), fleet.snapshot("r1").presence("r1", "w1"));
    }

    @Test
    void closingEndsEveryLinkAndRefusesNewWorkers() {
        RecordingConnection a = new RecordingConnection();
        fleet.register(registration("a", 1024), a);

        fleet.close();
        RecordingConnection late = new RecordingConnection();
        fleet.register(registration("late", 1024), late);

        assertEquals(List.of("the controller is shutting down"), a.closed);
        assertEquals(List.of("the controller is shutting down"), late.closed);
        assertEquals(List.of("joined a at 10.0.0.7:7071", "left a CLOSED: the controller is shutting down"), membership);
        assertEquals(0, fleet.size());
    }

    @Test
    void aPlacementOnAWarmEnvironmentTakesItSoTheNextDecisionCannot() {
        fleet.register(registration("w1", 2048, env("e1", "r1", State.IDLE, 128)), new RecordingConnection());
        fleet.register(registration("w2", 2048), new RecordingConnection());
        var placement = new dev.floe.controller.placement.FloeDefaultPlacement();
        var request = new dev.floe.controller.placement.PlacementRequest("r1", "fn-r1", 128, java.util.Set.of());

        FleetView.Placed first = fleet.place(placement, request).orElseThrow();
        FleetView.Placed second = fleet.place(placement, request).orElseThrow();

        assertEquals(new dev.floe.controller.placement.Placement.Decision("w1", dev.floe.controller.placement.Placement.Kind.WARM),
                first.decision());
        assertEquals(dev.floe.controller.placement.Placement.Kind.COLD, second.decision().kind(),
                "the one warm environment is promised to the first invocation");
        first.promise().release();
        assertEquals(dev.floe.controller.placement.Placement.Kind.WARM, fleet.place(placement, request).orElseThrow().decision().kind());
    }

    @Test
    void aWorkerThatFallsSilentLeavesThePlacementsView() {
        fleet.register(registration("w1", 2048, env("e1", "r1", State.IDLE, 128)), new RecordingConnection());
        var placement = new dev.floe.controller.placement.FloeDefaultPlacement();
        var request = new dev.floe.controller.placement.PlacementRequest("r1", "fn-r1", 128, java.util.Set.of());
        now.set(T0.plusSeconds(6));
        fleet.expireSilent();

        assertEquals(java.util.Optional.empty(), fleet.place(placement, request));
        fleet.register(registration("w1", 2048, env("e1", "r1", State.IDLE, 128)), new RecordingConnection());
        fleet.register(registration("w1", 2048, env("e1", "r1", State.IDLE, 128)), new RecordingConnection());
        assertEquals(new RevisionPresence(1, 128, 0, 0), fleet.snapshot("r1").presence("r1", "w1"),
                "registered twice with its environments, counted once");
    }
}
