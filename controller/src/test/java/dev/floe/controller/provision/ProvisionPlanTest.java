package dev.floe.controller.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.controller.placement.WorkerCapacity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProvisionPlanTest {
    private static WorkerCapacity worker(String id, int memoryMb, int usedMb) {
        return new WorkerCapacity(id, memoryMb, usedMb, 0);
    }

    @Test
    void sharesAreSpreadEvenlyAcrossWorkers() {
        List<WorkerCapacity> workers = List.of(worker("a", 4096, 0), worker("b", 4096, 0), worker("c", 4096, 0));

        assertEquals(Map.of("a", 2, "b", 2, "c", 1), ProvisionPlan.shares(5, 128, workers, Map.of(), Map.of()));
    }

    @Test
    void aWorkerKeepsWhatItHoldsWhenTheSpreadAllows() {
        List<WorkerCapacity> workers = List.of(worker("a", 4096, 0), worker("b", 4096, 256), worker("c", 4096, 0));

        // b holds 2 already: of 4, it keeps 2 and the other two get one each, rather than b giving one up.
        assertEquals(Map.of("a", 1, "b", 2, "c", 1), ProvisionPlan.shares(4, 128, workers, Map.of("b", 2), Map.of()));
    }

    @Test
    void aWorkerWithoutRoomGetsNoneAndTheOthersTakeMore() {
        List<WorkerCapacity> workers = List.of(worker("a", 256, 256), worker("b", 4096, 0));

        assertEquals(Map.of("b", 3), ProvisionPlan.shares(3, 128, workers, Map.of(), Map.of()));
    }

    @Test
    void aLostWorkersShareMovesAndAWorkerHoldingTooManyIsToldToRelease() {
        List<WorkerCapacity> workers = List.of(worker("a", 4096, 384), worker("b", 4096, 0));

        // "gone" held 2 and left the view (it is not among the workers); a holds 3 of a wanted 4.
        assertEquals(Map.of("a", 2, "b", 2, "gone", 0),
                ProvisionPlan.shares(4, 128, workers, Map.of("a", 3, "gone", 2), Map.of()));
    }

    @Test
    void whenTheFleetIsFullFewerAreGivenAndAWorkersLimitHolds() {
        List<WorkerCapacity> workers = List.of(worker("a", 512, 0), worker("b", 512, 0));

        assertEquals(Map.of("a", 1, "b", 4), ProvisionPlan.shares(10, 128, workers, Map.of(), Map.of("a", 1)));
    }
}
