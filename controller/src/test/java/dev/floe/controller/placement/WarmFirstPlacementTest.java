package dev.floe.controller.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.controller.placement.Placement.Decision;
import dev.floe.controller.placement.Placement.Kind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WarmFirstPlacementTest {
    private static final String REV = "rev-a";
    private static final String OTHER = "rev-b";

    private final Placement placement = new WarmFirstPlacement();

    /** Builds a snapshot worker by worker. */
    private static final class Fleet {
        private final List<WorkerCapacity> workers = new java.util.ArrayList<>();
        private final Map<String, Map<String, RevisionPresence>> revisions = new HashMap<>();

        Fleet worker(String id, int memoryMb, int usedMb, int warmMb) {
            workers.add(new WorkerCapacity(id, memoryMb, usedMb, warmMb));
            return this;
        }

        Fleet holds(String workerId, String revisionId, int warm, int warmMb, int busy, int promised) {
            revisions.computeIfAbsent(revisionId, r -> new HashMap<>())
                    .put(workerId, new RevisionPresence(warm, warmMb, busy, promised));
            return this;
        }

        FleetSnapshot snapshot() {
            return new FleetSnapshot(workers, revisions);
        }
    }

    private Optional<Decision> place(Fleet fleet, int memoryMb, String... excluded) {
        return placement.place(fleet.snapshot(), new PlacementRequest(REV, "fn", memoryMb, Set.of(excluded)));
    }

    @Test
    void warmEnvironmentWinsOverFreeMemory() {
        Fleet fleet = new Fleet()
                .worker("empty", 4096, 0, 0)
                .worker("holder", 1024, 896, 128)
                .holds("holder", REV, 1, 128, 0, 0);

        assertEquals(Optional.of(new Decision("holder", Kind.WARM)), place(fleet, 128));
    }

    @Test
    void theWorkerWithTheMostAvailableWarmEnvironmentsWins() {
        Fleet fleet = new Fleet()
                .worker("two", 1024, 256, 256)
                .worker("three", 1024, 384, 384)
                .holds("two", REV, 2, 256, 0, 0)
                .holds("three", REV, 3, 384, 0, 2);

        assertEquals(Optional.of(new Decision("two", Kind.WARM)), place(fleet, 128),
                "three holds 3 but 2 are promised: 1 available against 2");
    }

    @Test
    void promisedWarmEnvironmentsDoNotCount() {
        Fleet fleet = new Fleet()
                .worker("holder", 1024, 128, 128)
                .worker("empty", 512, 0, 0)
                .holds("holder", REV, 1, 128, 0, 1);

        assertEquals(Optional.of(new Decision("holder", Kind.COLD)), place(fleet, 128),
                "the only warm one is promised: cold on the worker with the most free memory");
    }

    @Test
    void warmEnvironmentsOfOtherRevisionsAreNotWarmForThisOne() {
        Fleet fleet = new Fleet()
                .worker("other", 1024, 128, 128)
                .worker("empty", 512, 0, 0)
                .holds("other", OTHER, 1, 128, 0, 0);

        assertEquals(Optional.of(new Decision("other", Kind.COLD)), place(fleet, 128),
                "other has 896 MB free, empty 512: cold on other");
    }

    @Test
    void aBusyEnvironmentOfTheRevisionComesBeforeACleanWorker() {
        Fleet fleet = new Fleet()
                .worker("empty", 8192, 0, 0)
                .worker("busy", 1024, 128, 0)
                .holds("busy", REV, 0, 0, 1, 0);

        assertEquals(Optional.of(new Decision("busy", Kind.BUSY_HANDOFF)), place(fleet, 128));
    }

    @Test
    void aBusyWorkerWithoutRoomIsPassedOver() {
        Fleet fleet = new Fleet()
                .worker("busy", 256, 256, 0)
                .worker("empty", 1024, 0, 0)
                .holds("busy", REV, 0, 0, 2, 0);

        assertEquals(Optional.of(new Decision("empty", Kind.COLD)), place(fleet, 128));
    }

    @Test
    void coldGoesToTheMostFreeMemory() {
        Fleet fleet = new Fleet()
                .worker("small", 1024, 0, 0)
                .worker("large", 4096, 1024, 0)
                .worker("medium", 2048, 0, 0);

        assertEquals(Optional.of(new Decision("large", Kind.COLD)), place(fleet, 512));
    }

    @Test
    void idleEnvironmentsOfOtherRevisionsCountAsRoom() {
        Fleet fleet = new Fleet()
                .worker("packed", 1024, 1024, 768)
                .worker("busy", 1024, 1024, 0)
                .holds("packed", OTHER, 6, 768, 0, 0);

        assertEquals(Optional.of(new Decision("packed", Kind.COLD)), place(fleet, 512),
                "no free memory anywhere, but packed can retire 768 MB of idle environments");
    }

    @Test
    void freeMemoryIsPreferredOverRetiringIdleEnvironments() {
        Fleet fleet = new Fleet()
                .worker("packed", 4096, 4096, 4096)
                .worker("free", 1024, 512, 0)
                .holds("packed", OTHER, 4, 4096, 0, 0);

        assertEquals(Optional.of(new Decision("free", Kind.COLD)), place(fleet, 512));
    }

    @Test
    void promisedEnvironmentsOfTheRevisionAreNotRoom() {
        Fleet fleet = new Fleet()
                .worker("w", 256, 256, 256)
                .holds("w", REV, 2, 256, 0, 2);

        assertEquals(Optional.empty(), place(fleet, 128),
                "both warm environments are promised; retiring them for a third invocation would make no sense");
    }

    @Test
    void noneWhenNothingFits() {
        Fleet fleet = new Fleet()
                .worker("a", 1024, 1024, 0)
                .worker("b", 512, 0, 0);

        assertEquals(Optional.empty(), place(fleet, 1024));
        assertEquals(Optional.empty(), place(new Fleet(), 128), "an empty fleet");
    }

    @Test
    void excludedWorkersAreNeverChosenByAnyRule() {
        Fleet fleet = new Fleet()
                .worker("warm", 1024, 128, 128)
                .worker("busy", 1024, 128, 0)
                .worker("free", 4096, 0, 0)
                .holds("warm", REV, 1, 128, 0, 0)
                .holds("busy", REV, 0, 0, 1, 0);

        assertEquals(Optional.of(new Decision("warm", Kind.WARM)), place(fleet, 128));
        assertEquals(Optional.of(new Decision("busy", Kind.BUSY_HANDOFF)), place(fleet, 128, "warm"));
        assertEquals(Optional.of(new Decision("free", Kind.COLD)), place(fleet, 128, "warm", "busy"));
        assertEquals(Optional.empty(), place(fleet, 128, "warm", "busy", "free"));
    }

    @Test
    void tiesGoToTheSmallestIdSoTheChoiceIsRepeatable() {
        Fleet fleet = new Fleet()
                .worker("w2", 1024, 0, 0)
                .worker("w1", 1024, 0, 0)
                .worker("w3", 1024, 0, 0);

        assertEquals(Optional.of(new Decision("w1", Kind.COLD)), place(fleet, 128));
    }
}
