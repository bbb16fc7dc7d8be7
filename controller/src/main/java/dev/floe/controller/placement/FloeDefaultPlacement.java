package dev.floe.controller.placement;

import java.util.Iterator;
import java.util.Optional;

/**
 * Floe's default placement, which uses what only Floe's controller knows: where every warm
 * environment is.
 *
 * <ol>
 *   <li>WARM: a worker holding an available warm environment of the revision, the one whose
 *       environment was used most recently, so the revision's other environments stay unused and age
 *       out (fewer environments kept, less idle memory).
 *   <li>BUSY_HANDOFF: a worker running an invocation of the revision, with room for another
 *       environment: its environment may finish first and take the invocation (the worker waits
 *       briefly for it), which keeps back-to-back invocations warm even when the worker's report that
 *       the environment is idle has not arrived yet; else the worker starts one there.
 *   <li>COLD on the function's home: the first workers met on the consistent-hash ring from the
 *       function's name, with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing
 *       with Bounded Loads", SODA'18): a worker is passed over when its load (memory of environments
 *       that are not warm) would exceed {@link #LOAD_BOUND} times its share of the fleet's load, or
 *       when it has no room. A function's environments thus gather on few workers, where its next
 *       cold start finds them, and adding a worker moves the home of about 1/N of the functions.
 *   <li>COLD on the least-loaded worker with room: the most free memory, else the most room counting
 *       warm environments of other revisions, which the worker retires to make room.
 *   <li>none.
 * </ol>
 */
public final class FloeDefaultPlacement implements Placement {
    /** The paper's c: each worker takes at most 1.25 times its share of the load. */
    static final double LOAD_BOUND = 1.25;
    /** Home workers tried before falling back: the walk is bounded, so a full fleet costs no scan. */
    static final int HOME_PROBES = 8;

    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        for (String w : fleet.idleHolders(request.revisionId())) {
            if (!request.excluded().contains(w)) {
                return Optional.of(new Decision(w, Kind.WARM));
            }
        }
        for (String w : fleet.busyHolders(request.revisionId())) {
            if (!request.excluded().contains(w) && fleet.roomMb(request.revisionId(), w) >= request.memoryMb()) {
                return Optional.of(new Decision(w, Kind.BUSY_HANDOFF));
            }
        }
        String home = home(fleet, request);
        if (home != null) {
            return Optional.of(new Decision(home, Kind.COLD));
        }
        return LeastLoadedPlacement.withRoom(fleet, request).map(w -> Placement.on(fleet, request, w));
    }

    private static String home(FleetState fleet, PlacementRequest request) {
        int need = request.memoryMb();
        long fleetMemory = fleet.memoryMb();
        if (fleetMemory <= 0) {
            return null;
        }
        double load = fleet.loadMb() + need;
        Iterator<String> walk = fleet.ring().walk(request.function());
        for (int i = 0; i < HOME_PROBES && walk.hasNext(); i++) {
            String w = walk.next();
            if (request.excluded().contains(w)) {
                continue;
            }
            WorkerCapacity capacity = fleet.worker(w);
            double bound = Math.max(need, LOAD_BOUND * load * capacity.memoryMb() / fleetMemory);
            if (fleet.loadMb(w) + need <= bound && fleet.roomMb(request.revisionId(), w) >= need) {
                return w;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "floe";
    }
}
