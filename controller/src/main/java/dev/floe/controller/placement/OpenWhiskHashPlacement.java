package dev.floe.controller.placement;

import java.util.List;
import java.util.Optional;

/**
 * OpenWhisk's sharding balancer, as its documentation describes it: a function's home worker is
 * hash(function) mod N; from there it probes with a step co-prime to N (so every worker is visited
 * once) and takes the first worker with the memory for it, counting warm environments as memory the
 * worker frees. It does not know where warm environments are: it finds one only when the home holds
 * it, and a change of N moves most functions' homes.
 */
public final class OpenWhiskHashPlacement implements Placement {
    @Override
    public Optional<Decision> place(FleetState fleet, PlacementRequest request) {
        List<String> ids = fleet.workerIds();
        int n = ids.size();
        if (n == 0) {
            return Optional.empty();
        }
        long hash = Hashing.hash64(request.function()) & Long.MAX_VALUE;
        int home = (int) (hash % n);
        int step = coprimeStep(hash, n);
        for (int i = 0; i < n; i++) {
            String w = ids.get((int) ((home + (long) i * step) % n));
            if (!request.excluded().contains(w) && fleet.roomMb(request.revisionId(), w) >= request.memoryMb()) {
                return Optional.of(Placement.on(fleet, request, w));
            }
        }
        return Optional.empty();
    }

    /** A step in 1..n co-prime to n, chosen by the hash so functions sharing a home probe differently. */
    static int coprimeStep(long hash, int n) {
        if (n == 1) {
            return 1;
        }
        int step = 1 + (int) ((hash >>> 17) % n);
        while (gcd(step, n) != 1) {
            step = step % n + 1;
        }
        return step;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    @Override
    public String toString() {
        return "openwhisk-hash";
    }
}
