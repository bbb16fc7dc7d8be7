package dev.floe.controller.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.placement.RevisionPresence;
import dev.floe.controller.placement.WorkerCapacity;
import dev.floe.controller.registry.FleetIndex.Slot;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

class FleetIndexTest {
    private final FleetIndex index = new FleetIndex();

    private static List<String> list(Iterable<String> ids) {
        return StreamSupport.stream(ids.spliterator(), false).toList();
    }

    @Test
    void idleHoldersAreInMostRecentlyUsedOrder() {
        index.addWorker("a", 1024);
        index.addWorker("b", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.environment("b", "e2", "r", 128, Slot.WARM);
        assertEquals(List.of("b", "a"), list(index.idleHolders("r")));

        index.environment("a", "e1", "r", 128, Slot.BUSY);
        assertEquals(List.of("b"), list(index.idleHolders("r")), "a's only environment is busy");
        index.environment("a", "e1", "r", 128, Slot.WARM);
        assertEquals(List.of("a", "b"), list(index.idleHolders("r")), "a's environment was used last");
    }

    @Test
    void aPromiseTakesTheEnvironmentOutOfTheIdleSetUntilReleased() {
        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.promised("r", "a", 1);
        assertEquals(List.of(), list(index.idleHolders("r")));
        assertEquals(new RevisionPresence(1, 128, 0, 1), index.presence("r", "a"));
        index.promised("r", "a", -1);
        assertEquals(List.of("a"), list(index.idleHolders("r")));
    }

    @Test
    void anAnsweredEnvironmentIsAvailableUntilItsWorkerReportsItAgain() {
        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.BUSY);
        assertEquals(List.of(), list(index.idleHolders("r")));

        assertTrue(index.answered("a", "e1"));
        assertEquals(List.of("a"), list(index.idleHolders("r")), "its runtime is about to ask for the next invocation");
        assertEquals(new RevisionPresence(0, 0, 1, 0, 1), index.presence("r", "a"));
        assertEquals(1, index.busy("a"), "still busy until the worker says otherwise");
        index.promised("r", "a", 1);
        assertEquals(List.of(), list(index.idleHolders("r")), "promised to the next invocation");
        index.promised("r", "a", -1);

        index.environment("a", "e1", "r", 128, Slot.BUSY);
        assertEquals(new RevisionPresence(0, 0, 1, 0, 1), index.presence("r", "a"), "a BUSY report arriving late changes nothing");
        index.environment("a", "e1", "r", 128, Slot.WARM);
        assertEquals(new RevisionPresence(1, 128, 0, 0, 0), index.presence("r", "a"), "the idle report replaces the hint");
        assertFalse(index.answered("a", "e1"), "a warm environment is not finishing");
        assertFalse(index.answered("a", "gone"), "nor is one the index does not hold");
        index.environment("a", "e1", "r", 128, Slot.BUSY);
        index.answered("a", "e1");
        index.environment("a", "e1", "r", 128, null);
        assertEquals(RevisionPresence.NONE, index.presence("r", "a"), "retired: nothing left");
        assertEquals(List.of(), list(index.idleHolders("r")));
    }

    @Test
    void workersAreCountedByMemoryLoadAndBusyEnvironments() {
        index.addWorker("a", 2048);
        index.addWorker("b", 1024);
        index.environment("a", "e1", "r", 512, Slot.BUSY);
        index.environment("a", "e2", "r", 256, Slot.WARM);
        index.environment("a", "e3", "s", 128, Slot.STARTING);

        assertEquals(new WorkerCapacity("a", 2048, 896, 256), index.worker("a"));
        assertEquals(1, index.busy("a"));
        assertEquals(640, index.loadMb());
        assertEquals(3072, index.memoryMb());
        assertEquals(List.of("a", "b"), list(index.byFreeMemory()), "a has 1152 MB free, b 1024");
        assertEquals(List.of("a", "b"), list(index.byRoom()));
        index.environment("a", "e4", "t", 512, Slot.BUSY);
        assertEquals(List.of("b", "a"), list(index.byFreeMemory()), "a has 640 MB free now");
    }

    @Test
    void aRetiredEnvironmentLeavesEveryCount() {
        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.environment("a", "e1", "r", 128, null);

        assertEquals(RevisionPresence.NONE, index.presence("r", "a"));
        assertEquals(new WorkerCapacity("a", 1024, 0, 0), index.worker("a"));
        assertEquals(List.of(), list(index.idleHolders("r")));
    }

    @Test
    void aWorkerThatLeavesTakesEverythingItHeldAndComesBackWithoutDuplicates() {
        index.addWorker("a", 1024);
        index.addWorker("b", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.environment("a", "e2", "r", 128, Slot.BUSY);
        index.promised("r", "a", 1);
        index.removeWorker("a");

        assertEquals(List.of("b"), index.workerIds());
        assertEquals(RevisionPresence.NONE, index.presence("r", "a"));
        assertEquals(0, index.loadMb());
        assertEquals(List.of("b"), list(index.byFreeMemory()));
        assertEquals("b", index.ring().home("anything"));

        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        assertEquals(new RevisionPresence(1, 128, 0, 0), index.presence("r", "a"), "re-reported once, counted once");
        assertEquals(List.of("a", "b"), index.workerIds());
        assertEquals(2048, index.memoryMb());
    }

    @Test
    void listenersHearOfEveryChange() {
        List<String> heard = new ArrayList<>();
        index.addListener(new FleetIndex.Listener() {
            @Override
            public void workerChanged(String workerId) {
                heard.add("worker " + workerId);
            }

            @Override
            public void presenceChanged(String revisionId, String workerId) {
                heard.add(revisionId + "@" + workerId);
            }
        });
        index.addWorker("a", 1024);
        index.environment("a", "e1", "r", 128, Slot.WARM);
        index.removeWorker("a");
        assertEquals(List.of("worker a", "worker a", "r@a", "worker a"), heard);
    }

    @Test
    void anEnvironmentOnAnUnknownWorkerIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> index.environment("ghost", "e1", "r", 128, Slot.WARM));
        assertEquals("worker ghost: not in the fleet (expected: a worker added first)", e.getMessage());
        assertFalse(index.contains("ghost"));
    }
}
