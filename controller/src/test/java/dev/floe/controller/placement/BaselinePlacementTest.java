package dev.floe.controller.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.placement.Placement.Decision;
import dev.floe.controller.placement.Placement.Kind;
import dev.floe.controller.registry.FleetIndex.Slot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BaselinePlacementTest {
    private static final String REV = "rev-a";

    private static Fleets equal(int n, int memoryMb) {
        Fleets fleet = new Fleets();
        for (int i = 0; i < n; i++) {
            fleet.worker("w" + i, memoryMb);
        }
        return fleet;
    }

    @Test
    void leastLoadedTakesTheMostFreeMemoryAndIgnoresWarmEnvironmentsElsewhere() {
        Fleets fleet = new Fleets().worker("holder", 1024).worker("large", 4096).worker("medium", 2048)
                .env("holder", REV, Slot.WARM, 128).env("large", "other", Slot.BUSY, 1024);

        assertEquals(Optional.of(new Decision("large", Kind.COLD)), fleet.place(new LeastLoadedPlacement(), REV, "fn", 512));
        fleet.env("large", "other", Slot.BUSY, 2048);
        assertEquals(Optional.of(new Decision("medium", Kind.COLD)), fleet.place(new LeastLoadedPlacement(), REV, "fn", 512));
    }

    @Test
    void leastLoadedSaysWarmWhenItsChoiceHappensToHoldAnEnvironment() {
        Fleets fleet = new Fleets().worker("holder", 4096).worker("small", 1024).env("holder", REV, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision("holder", Kind.WARM)), fleet.place(new LeastLoadedPlacement(), REV, "fn", 128));
    }

    @Test
    void randomIsRepeatableForASeedAndOnlyChoosesWorkersWithRoom() {
        Fleets fleet = equal(8, 1024).env("w3", "other", Slot.BUSY, 1024);
        List<String> first = new ArrayList<>();
        List<String> again = new ArrayList<>();
        Placement a = new RandomPlacement(42);
        Placement b = new RandomPlacement(42);
        for (int i = 0; i < 200; i++) {
            first.add(fleet.place(a, REV, "fn", 256).orElseThrow().workerId());
            again.add(fleet.place(b, REV, "fn", 256).orElseThrow().workerId());
        }
        assertEquals(first, again);
        Set<String> chosen = new HashSet<>(first);
        assertTrue(!chosen.contains("w3"), "w3 is full");
        assertEquals(7, chosen.size(), "200 draws reach every worker with room: " + chosen);
        assertEquals(Optional.empty(), fleet.place(a, REV, "fn", 2048));
    }

    @Test
    void openWhiskHashStartsAtHashModNAndProbesEveryWorkerOnce() {
        Fleets fleet = equal(6, 1024);
        List<String> ids = fleet.index().workerIds();
        long hash = Hashing.hash64("fn") & Long.MAX_VALUE;
        String home = ids.get((int) (hash % 6));
        Placement ow = new OpenWhiskHashPlacement();

        assertEquals(Optional.of(new Decision(home, Kind.COLD)), fleet.place(ow, REV, "fn", 256));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Decision d = fleet.place(ow, REV, "fn", 1024).orElseThrow();
            assertTrue(seen.add(d.workerId()), "probing visits " + d.workerId() + " twice");
            fleet.env(d.workerId(), "other", Slot.BUSY, 1024);
        }
        assertEquals(Optional.empty(), fleet.place(ow, REV, "fn", 256), "every worker is full");
    }

    @Test
    void openWhiskHashDoesNotLookForWarmEnvironmentsAwayFromHome() {
        Fleets fleet = equal(6, 1024);
        List<String> ids = fleet.index().workerIds();
        String home = ids.get((int) ((Hashing.hash64("fn") & Long.MAX_VALUE) % 6));
        String elsewhere = ids.stream().filter(w -> !w.equals(home)).findFirst().orElseThrow();
        fleet.env(elsewhere, REV, Slot.WARM, 128);

        assertEquals(Optional.of(new Decision(home, Kind.COLD)), fleet.place(new OpenWhiskHashPlacement(), REV, "fn", 128));
    }

    @Test
    void coprimeStepsAreCoprime() {
        for (int n = 1; n <= 64; n++) {
            for (long h = 0; h < 200; h++) {
                int step = OpenWhiskHashPlacement.coprimeStep(h * 7919 << 17, n);
                assertTrue(step >= 1 && step <= n && java.math.BigInteger.valueOf(step).gcd(java.math.BigInteger.valueOf(n)).intValue() == 1,
                        "n " + n + ", step " + step);
            }
        }
    }

    @Test
    void policiesByName() {
        assertEquals("floe", Placements.named("floe", 1).toString());
        assertEquals("openwhisk-hash", Placements.named("openwhisk-hash", 1).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Placements.named("nearest", 1));
        assertEquals("placement: \"nearest\" (expected one of: floe, random, least-loaded, openwhisk-hash, warm-first, hermod)", e.getMessage());
    }
}
