package dev.floe.controller.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.controller.placement.Placement.Decision;
import dev.floe.controller.placement.Placement.Kind;
import dev.floe.controller.registry.FleetIndex.Slot;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code warm-first} and {@code hermod}: the warm-aware baselines Floe's default is measured against. */
class WarmAwareBaselineTest {
    private static final String REV = "rev-a";

    @Test
    void warmFirstTakesAnIdleEnvironmentOnAnyWorkerEvenTheMostLoaded() {
        Fleets fleet = new Fleets().worker("busy", 2048).worker("empty", 8192)
                .env("busy", "other", Slot.BUSY, 1536).env("busy", REV, Slot.WARM, 256);

        assertEquals(Optional.of(new Decision("busy", Kind.WARM)), fleet.place(new WarmFirstPlacement(), REV, "fn", 256));
        assertEquals(Optional.of(new Decision("empty", Kind.COLD)), fleet.place(new WarmFirstPlacement(), REV, "fn", 256, "busy"),
                "an excluded holder is passed over for the least-loaded worker");
    }

    @Test
    void warmFirstDoesNotWaitForABusyEnvironmentOfTheRevision() {
        Fleets fleet = new Fleets().worker("running", 4096).worker("free", 8192).env("running", REV, Slot.BUSY, 256);

        assertEquals(Optional.of(new Decision("free", Kind.COLD)), fleet.place(new WarmFirstPlacement(), REV, "fn", 256));
        assertEquals(Optional.of(new Decision("running", Kind.BUSY_HANDOFF)),
                fleet.place(new FloeDefaultPlacement(), REV, "fn", 256), "Floe's default waits for it");
    }

    @Test
    void warmFirstRejectsOnlyWhenNoWorkerHasRoom() {
        Fleets fleet = new Fleets().worker("a", 1024).env("a", "other", Slot.BUSY, 1024);

        assertEquals(Optional.empty(), fleet.place(new WarmFirstPlacement(), REV, "fn", 128));
    }

    @Test
    void hermodPacksOntoTheMostLoadedWorkerBelowTheThreshold() {
        Fleets fleet = new Fleets().worker("a", 4096).worker("b", 4096).worker("c", 4096)
                .env("a", "x", Slot.BUSY, 1024).env("b", "y", Slot.BUSY, 2048);

        assertEquals(Optional.of(new Decision("b", Kind.COLD)), fleet.place(new HermodPlacement(), REV, "fn", 512),
                "b at 2048 + 512 MB stays under 80% of 4096 MB");
        assertEquals(Optional.of(new Decision("a", Kind.COLD)), fleet.place(new HermodPlacement(), REV, "fn", 1536),
                "b would pass the threshold with 1536 MB more, so the next most loaded");
    }

    @Test
    void hermodSpillsToTheLeastLoadedWorkerWhenEveryWorkerIsPastTheThreshold() {
        Fleets fleet = new Fleets().worker("a", 4096).worker("b", 4096)
                .env("a", "x", Slot.BUSY, 3584).env("b", "y", Slot.BUSY, 3072);

        assertEquals(Optional.of(new Decision("b", Kind.COLD)), fleet.place(new HermodPlacement(), REV, "fn", 512));
        assertEquals(Optional.empty(), fleet.place(new HermodPlacement(), REV, "fn", 2048));
    }

    @Test
    void hermodTakesAWarmEnvironmentBeforePacking() {
        Fleets fleet = new Fleets().worker("a", 4096).worker("b", 4096)
                .env("a", "x", Slot.BUSY, 2048).env("b", REV, Slot.WARM, 256);

        assertEquals(Optional.of(new Decision("b", Kind.WARM)), fleet.place(new HermodPlacement(), REV, "fn", 256));
    }

    @Test
    void hermodCountsWarmEnvironmentsOfOtherRevisionsAsRoomNotLoad() {
        Fleets fleet = new Fleets().worker("a", 2048).worker("b", 2048)
                .env("a", "x", Slot.BUSY, 512).env("a", "idle", Slot.WARM, 1536);

        assertEquals(Optional.of(new Decision("a", Kind.COLD)), fleet.place(new HermodPlacement(), REV, "fn", 1024),
                "a is full, but its idle environment retires to make room, and a is the most loaded");
    }

    @Test
    void theNewPoliciesAreSelectableByName() {
        assertEquals("warm-first", Placements.named("warm-first", 1).toString());
        assertEquals("hermod", Placements.named("hermod", 1).toString());
    }
}
