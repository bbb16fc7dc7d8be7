package dev.floe.controller.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.placement.Placement.Decision;
import dev.floe.controller.placement.Placement.Kind;
import dev.floe.controller.registry.FleetIndex.Slot;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FloeDefaultPlacementTest {
    private static final String REV = "rev-a";
    private static final String OTHER = "rev-b";
    private final Placement placement = new FloeDefaultPlacement();

    private Optional<Decision> place(Fleets fleet, int memoryMb, String... excluded) {
        return fleet.place(placement, REV, "fn", memoryMb, excluded);
    }

    /** A fleet of {@code n} equal workers w0..w(n-1). */
    private static Fleets equal(int n, int memoryMb) {
        Fleets fleet = new Fleets();
        for (int i = 0; i < n; i++) {
            fleet.worker("w" + i, memoryMb);
        }
        return fleet;
    }

    @Test
    void warmEnvironmentWinsOverFreeMemory() {
        Fleets fleet = new Fleets().worker("empty", 4096).worker("holder", 1024)
                .env("holder", OTHER, Slot.BUSY, 768).env("holder", REV, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision("holder", Kind.WARM)), place(fleet, 128));
    }

    @Test
    void theMostRecentlyUsedHolderWinsSoTheOthersAgeOut() {
        Fleets fleet = new Fleets().worker("a", 1024).worker("b", 1024).worker("c", 1024)
                .env("a", REV, Slot.WARM, 128, 3).env("b", REV, Slot.WARM, 128).env("c", REV, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision("c", Kind.WARM)), place(fleet, 128), "c's environment went idle last");
        fleet.index().environment("a", "env-0", REV, 128, Slot.BUSY);
        fleet.index().environment("a", "env-0", REV, 128, Slot.WARM);
        assertEquals(Optional.of(new Decision("a", Kind.WARM)), place(fleet, 128), "a's environment finished an invocation just now");
    }

    @Test
    void promisedWarmEnvironmentsAreOutOfTheIdleSetAtOnce() {
        Fleets fleet = new Fleets().worker("holder", 1024).worker("empty", 1024)
                .env("holder", REV, Slot.WARM, 128).promised("holder", REV);

        Decision decision = place(fleet, 128).orElseThrow();
        assertEquals(Kind.COLD, decision.kind(), "the only warm environment is promised to another invocation");
    }

    @Test
    void warmEnvironmentsOfOtherRevisionsAreNotWarmForThisOne() {
        Fleets fleet = new Fleets().worker("other", 1024).env("other", OTHER, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision("other", Kind.COLD)), place(fleet, 128));
    }

    @Test
    void aWorkerRunningTheRevisionComesBeforeItsHomeSoBackToBackInvocationsStayWarm() {
        Fleets fleet = equal(3, 2048);
        String home = fleet.index().ring().home("fn");
        String other = fleet.index().workerIds().stream().filter(w -> !w.equals(home)).findFirst().orElseThrow();
        fleet.env(other, REV, Slot.BUSY, 128);

        assertEquals(Optional.of(new Decision(other, Kind.BUSY_HANDOFF)), place(fleet, 128),
                "its environment may report idle any moment; the worker waits briefly for it");
    }

    @Test
    void aWorkerRunningTheRevisionWithoutRoomIsPassedOver() {
        Fleets fleet = equal(3, 2048);
        String home = fleet.index().ring().home("fn");
        String other = fleet.index().workerIds().stream().filter(w -> !w.equals(home)).findFirst().orElseThrow();
        fleet.env(other, REV, Slot.BUSY, 128).env(other, OTHER, Slot.BUSY, 1920);

        assertEquals(Optional.of(new Decision(home, Kind.COLD)), place(fleet, 128));
    }

    @Test
    void anAnsweredEnvironmentOnAFullWorkerTakesTheNextInvocationBeforeItsIdleReport() {
        Fleets fleet = equal(3, 2048);
        String home = fleet.index().ring().home("fn");
        String other = fleet.index().workerIds().stream().filter(w -> !w.equals(home)).findFirst().orElseThrow();
        fleet.env(other, REV, Slot.BUSY, 128).env(other, OTHER, Slot.BUSY, 1920);
        assertEquals(Optional.of(new Decision(home, Kind.COLD)), place(fleet, 128), "still running: passed over");

        assertTrue(fleet.index().answered(other, "env-0"), "the first environment made is the revision's");

        assertEquals(Optional.of(new Decision(other, Kind.WARM)), place(fleet, 128),
                "its invocation was answered, so its runtime is about to ask for the next one: no cold start elsewhere");
    }

    @Test
    void aColdStartGoesToTheFunctionsHomeOnTheRing() {
        Fleets fleet = equal(10, 2048);
        String home = fleet.index().ring().home("fn");

        assertEquals(Optional.of(new Decision(home, Kind.COLD)), place(fleet, 128),
                "every worker has room; the home is the first worker on the ring from the function's hash");
        assertEquals(Optional.of(new Decision(home, Kind.COLD)), fleet.place(placement, "rev-2", "fn", 128),
                "a new revision of the function has the same home");
    }

    @Test
    void anOverloadedHomeIsPassedOverForTheNextOnTheRing() {
        Fleets fleet = equal(4, 2048);
        var walk = fleet.index().ring().walk("fn");
        String home = walk.next();
        String second = walk.next();
        fleet.env(home, OTHER, Slot.BUSY, 1024);

        assertEquals(Optional.of(new Decision(second, Kind.COLD)), place(fleet, 128),
                "the home runs 1024 MB while the fleet's fair share is 288 MB: bounded loads move on");
    }

    @Test
    void aHomeWithoutRoomFallsBackToTheMostFreeMemory() {
        Fleets fleet = new Fleets().worker("small", 1024).worker("large", 4096).worker("medium", 2048);
        var walk = fleet.index().ring().walk("fn");
        for (int i = 0; i < 3; i++) {
            String w = walk.next();
            fleet.env(w, OTHER, Slot.BUSY, fleet.index().worker(w).memoryMb() - 256);
        }
        assertEquals(Optional.empty(), place(fleet, 512), "no worker has 512 MB free or warm");

        Fleets spare = new Fleets().worker("full", 1024).worker("free", 8192).env("full", OTHER, Slot.BUSY, 1024);
        assertEquals("free", place(spare, 512).orElseThrow().workerId());
    }

    @Test
    void idleEnvironmentsOfOtherRevisionsCountAsRoom() {
        Fleets fleet = new Fleets().worker("packed", 1024).worker("busy", 1024)
                .env("packed", OTHER, Slot.WARM, 128, 6).env("packed", OTHER, Slot.BUSY, 256)
                .env("busy", OTHER, Slot.BUSY, 1024);

        assertEquals(Optional.of(new Decision("packed", Kind.COLD)), place(fleet, 512),
                "no free memory anywhere, but packed can retire 768 MB of idle environments");
    }

    @Test
    void theHomeRetiresIdleEnvironmentsOfOthersRatherThanSendTheFunctionAway() {
        Fleets fleet = new Fleets().worker("idle", 1024).worker("free", 1024).env("idle", OTHER, Slot.WARM, 1024);
        Decision decision = place(fleet, 512).orElseThrow();

        assertEquals(Kind.COLD, decision.kind());
        assertEquals(fleet.index().ring().home("fn"), decision.workerId(),
                "both workers have room (idle's by retiring its idle environment): the home takes it");
    }

    @Test
    void noneWhenNothingFits() {
        assertEquals(Optional.empty(), place(new Fleets().worker("small", 512), 1024));
        assertEquals(Optional.empty(), place(new Fleets(), 128), "an empty fleet");
    }

    @Test
    void excludedWorkersAreNeverChosenByAnyRule() {
        Fleets fleet = equal(3, 1024).env("w0", REV, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision("w0", Kind.WARM)), place(fleet, 128));
        Decision second = place(fleet, 128, "w0").orElseThrow();
        assertNotEquals("w0", second.workerId());
        Decision third = place(fleet, 128, "w0", second.workerId()).orElseThrow();
        assertTrue(!third.workerId().equals("w0") && !third.workerId().equals(second.workerId()));
        assertEquals(Optional.empty(), place(fleet, 128, "w0", "w1", "w2"));
    }

    @Test
    void addingAWorkerMovesTheHomeOfAboutOneNthOfTheFunctions() {
        HashRing ring = new HashRing();
        int n = 20;
        for (int i = 0; i < n; i++) {
            ring.add("worker-" + i);
        }
        int functions = 10_000;
        String[] before = new String[functions];
        for (int f = 0; f < functions; f++) {
            before[f] = ring.home("function-" + f);
        }
        ring.add("worker-" + n);
        int moved = 0;
        for (int f = 0; f < functions; f++) {
            String after = ring.home("function-" + f);
            if (!after.equals(before[f])) {
                assertEquals("worker-" + n, after, "a function's home moves only to the new worker");
                moved++;
            }
        }
        double share = (double) moved / functions;
        assertTrue(share > 0.5 / (n + 1) && share < 1.5 / (n + 1), "moved " + share + " (expected: about 1/" + (n + 1) + ")");
    }
}
