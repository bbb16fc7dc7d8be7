package dev.floe.controller.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Environment;
import dev.floe.proto.Environment.State;
import dev.floe.proto.FleetChange;
import dev.floe.proto.Registration;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a watcher of the fleet view is told: the fleet as it is, then every change in order. */
class FleetWatchTest {
    private final FleetView fleet = new FleetView(InstantSource.fixed(Instant.parse("2025-03-01T10:00:00Z")),
            Duration.ofSeconds(5));

    @AfterEach
    void close() {
        fleet.close();
    }

    private static Environment env(String id, String function, State state) {
        return Environment.newBuilder().setId(id).setFunction(function).setRevision(1).setRevisionId(function + "-r1")
                .setState(state).setMemoryMb(128).build();
    }

    private static Registration registration(String id, Environment... environments) {
        return Registration.newBuilder().setWorkerId(id).setAddress("127.0.0.1:7071").setMemoryMb(1024)
                .addAllEnvironments(List.of(environments)).build();
    }

    /** One line per change, e.g. {@code worker w1}, {@code env e1 FROZEN}, {@code left w1}, {@code synced}. */
    private static String describe(FleetChange c) {
        return switch (c.getChangeCase()) {
            case WORKER -> "worker " + c.getWorker().getId();
            case WORKER_LEFT -> "left " + c.getWorkerLeft();
            case ENVIRONMENT -> "env " + c.getEnvironment().getId() + " " + c.getEnvironment().getState() + " on "
                    + c.getEnvironment().getWorkerId();
            case SYNCED -> "synced";
            case CHANGE_NOT_SET -> "?";
        };
    }

    private static final class Recorder implements FleetChanges.Watcher {
        final List<String> seen = new ArrayList<>();
        int capacity = Integer.MAX_VALUE;
        boolean ended;

        @Override
        public boolean offer(FleetChange change) {
            seen.add(describe(change));
            return seen.size() < capacity;
        }

        @Override
        public void ended() {
            ended = true;
        }
    }

    @Test
    void aWatcherGetsTheFleetAsItIsThenEveryChangeInOrder() {
        RecordingConnection w1 = new RecordingConnection();
        fleet.register(registration("w1", env("e1", "fa", State.FROZEN)), w1);
        Recorder watcher = new Recorder();

        FleetChanges.watch(fleet, "", watcher);
        fleet.report("w1", w1, env("e1", "fa", State.BUSY));
        fleet.register(registration("w2"), new RecordingConnection());
        fleet.report("w1", w1, env("e1", "fa", State.RETIRED));
        fleet.disconnected("w1", w1);

        assertEquals(List.of("worker w1", "env e1 FROZEN on w1", "synced", "env e1 BUSY on w1", "worker w2",
                "env e1 RETIRED on w1", "left w1"), watcher.seen);
    }

    @Test
    void aFunctionsWatcherSeesOnlyItsEnvironmentsButEveryWorker() {
        RecordingConnection w1 = new RecordingConnection();
        fleet.register(registration("w1", env("e1", "fa", State.IDLE), env("e2", "fb", State.IDLE)), w1);
        Recorder watcher = new Recorder();

        FleetChanges.watch(fleet, "fb", watcher);
        fleet.report("w1", w1, env("e1", "fa", State.BUSY));
        fleet.report("w1", w1, env("e2", "fb", State.FROZEN));
        fleet.heartbeat("w1", w1, 256);

        assertEquals(List.of("worker w1", "env e2 IDLE on w1", "synced", "env e2 FROZEN on w1", "worker w1"), watcher.seen);
    }

    @Test
    void aWatcherThatCanTakeNoMoreIsDroppedAndClosingEndsTheRest() {
        RecordingConnection w1 = new RecordingConnection();
        fleet.register(registration("w1"), w1);
        Recorder full = new Recorder();
        full.capacity = 3;
        Recorder other = new Recorder();
        FleetChanges.watch(fleet, "", full);
        Runnable unwatch = FleetChanges.watch(fleet, "", other);

        fleet.report("w1", w1, env("e1", "fa", State.STARTING));
        fleet.report("w1", w1, env("e1", "fa", State.INITIALIZING));
        unwatch.run();
        fleet.report("w1", w1, env("e1", "fa", State.IDLE));
        Recorder late = new Recorder();
        FleetChanges.watch(fleet, "", late);
        fleet.close();

        assertEquals(List.of("worker w1", "synced", "env e1 STARTING on w1"), full.seen, "dropped once it said no more");
        assertEquals(List.of("worker w1", "synced", "env e1 STARTING on w1", "env e1 INITIALIZING on w1"), other.seen);
        assertTrue(late.ended, "closing the view ends its watchers");
        assertEquals("left w1", late.seen.getLast(), "a closing view says its workers left");
    }
}
