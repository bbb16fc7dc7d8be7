package dev.floe.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * {@code --fleet auto}: the smallest fleet at which the best baseline (the placement, other than
 * Floe's, rejecting the fewest invocations) rejects at most {@link #MAX_REJECTED} of them, so that
 * cold starts are compared on a fleet that runs nearly everything. Rejections fall as workers are
 * added; the search doubles the fleet until a size passes, then bisects.
 */
final class FleetSizing {
    /** The share of invocations the best baseline may reject at the chosen size: 0.5%. */
    static final double MAX_REJECTED = 0.005;
    /** The largest fleet tried: a sweep visits every worker, so larger fleets replay slowly. */
    static final int MAX_WORKERS = 4096;

    /** The chosen size and the best baseline's run there. */
    record Sized(int workers, Simulation.Result best) {}

    private FleetSizing() {}

    /** The baselines among {@code policies}: every one but Floe's, or Floe's when it is alone. */
    static List<String> baselines(List<String> policies) {
        List<String> b = new ArrayList<>(policies.stream().filter(p -> !p.equals("floe")).toList());
        return b.isEmpty() ? List.of("floe") : b;
    }

    /** Sizes the fleet with {@code run}, which replays the trace on N workers and returns the best baseline's result. */
    static Sized search(int maxWorkers, IntFunction<Simulation.Result> run) {
        int lo = 0;
        int hi = 1;
        Simulation.Result atHi = run.apply(hi);
        while (!passes(atHi)) {
            if (hi >= maxWorkers) {
                throw new IllegalArgumentException("fleet: no size up to " + maxWorkers + " workers rejects at most "
                        + 100 * MAX_REJECTED + "% (expected: larger workers, --worker-memory)");
            }
            lo = hi;
            hi = Math.min(maxWorkers, hi * 2);
            atHi = run.apply(hi);
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            Simulation.Result r = run.apply(mid);
            if (passes(r)) {
                hi = mid;
                atHi = r;
            } else {
                lo = mid;
            }
        }
        return new Sized(hi, atHi);
    }

    /** The best baseline's run on {@code workers} workers: the fewest rejections, then the fewest cold starts. */
    static Simulation.Result best(Trace trace, int workers, int memoryMb, long seed, List<String> baselines, String keepAlive) {
        Simulation simulation = new Simulation(trace, workers, memoryMb, seed);
        List<Simulation.Result> results = SimulateCommand.runAll(simulation, baselines, List.of(keepAlive), seed);
        Simulation.Result best = null;
        for (Simulation.Result r : results) {
            if (best == null || r.rejected() < best.rejected()
                    || (r.rejected() == best.rejected() && r.coldStarts() < best.coldStarts())) {
                best = r;
            }
        }
        return best;
    }

    static boolean passes(Simulation.Result r) {
        return r.rejected() <= MAX_REJECTED * r.invocations();
    }
}
