package dev.floe.bench;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.controller.placement.HashRing;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.PlacementRequest;
import dev.floe.controller.placement.Placements;
import dev.floe.controller.registry.FleetIndex;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code floe bench-placement [--workers N] [--environments E] [--decisions D]}: the time of one
 * placement decision on a fleet index of N workers holding E environments, per policy, beside the
 * floor (a bare HashMap lookup from revision to worker, timed the same way); then how many functions'
 * homes move when a worker joins, beside 1/(N+1).
 */
public final class PlacementBenchmark {
    private PlacementBenchmark() {}

    public static FloeCommand command() {
        return FloeCommand.named("bench-placement").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-placement [--workers N] [--environments E]")
                .summary("one placement decision's time per policy beside a HashMap lookup")
                .options(new Args.Spec()
                        .value("workers", "N", "workers in the fleet snapshot, 2..100000 (default 1000)")
                        .value("environments", "E", "warm environments, 1..10000000 (default 100000)")
                        .value("decisions", "N", "decisions timed per policy, 1000..10000000 (default 200000)"))
                .runs(PlacementBenchmark::run).build();
    }

    public static int run(Args args, Cli cli) {
        args.positional(0, "no arguments");
        int workers = args.integer("workers", 2, 100_000, 1000);
        int environments = args.integer("environments", 1, 10_000_000, 100_000);
        int decisions = args.integer("decisions", 1000, 10_000_000, 200_000);
        PrintStream out = cli.out();
        int revisions = Math.max(1, environments / 10);
        SplittableRandom random = new SplittableRandom(7);
        FleetIndex index = new FleetIndex();
        for (int w = 0; w < workers; w++) {
            index.addWorker(workerId(w), 64 * 1024);
        }
        Map<String, String> floor = new HashMap<>();
        for (int e = 0; e < environments; e++) {
            String revision = "rev-" + random.nextInt(revisions);
            String worker = workerId(random.nextInt(workers));
            // Nine in ten warm, the rest busy: most decisions find a warm environment, as in a steady fleet.
            index.environment(worker, "env-" + e, revision, 128, random.nextInt(10) == 0 ? FleetIndex.Slot.BUSY : FleetIndex.Slot.WARM);
            floor.put(revision, worker);
        }
        // A tenth of the requests are for revisions no worker holds: cold starts.
        PlacementRequest[] requests = new PlacementRequest[4096];
        for (int i = 0; i < requests.length; i++) {
            int r = random.nextInt(revisions + revisions / 10);
            requests[i] = new PlacementRequest("rev-" + r, "fn-" + r, 128, Set.of());
        }
        out.printf(Locale.ROOT, "bench-placement: %d workers, %d environments of %d revisions, %d decisions each%n",
                workers, environments, revisions, decisions);
        out.printf(Locale.ROOT, "%-16s %10s %10s %10s%n", "", "p50 ns", "p99 ns", "p99.9 ns");
        long[] times = new long[decisions];
        for (int round = 0; round < 2; round++) {
            // The first round warms the JIT up; the second is printed.
            for (int i = 0; i < decisions; i++) {
                String key = requests[i & (requests.length - 1)].revisionId();
                long t0 = System.nanoTime();
                String w = floor.get(key);
                times[i] = System.nanoTime() - t0 + (w == null ? 0 : w.length() & 0);
            }
            if (round == 1) {
                row(out, "floor (HashMap)", times);
            }
            for (String name : Placements.NAMES) {
                Placement placement = Placements.named(name, 1);
                for (int i = 0; i < decisions; i++) {
                    PlacementRequest request = requests[i & (requests.length - 1)];
                    long t0 = System.nanoTime();
                    Optional<Placement.Decision> d = placement.place(index, request);
                    if (d.isPresent() && d.get().kind() == Placement.Kind.WARM) {
                        index.promised(request.revisionId(), d.get().workerId(), 1);
                    }
                    times[i] = System.nanoTime() - t0;
                    if (d.isPresent() && d.get().kind() == Placement.Kind.WARM) {
                        index.promised(request.revisionId(), d.get().workerId(), -1);
                    }
                }
                if (round == 1) {
                    row(out, name, times);
                }
            }
        }
        for (int n : new int[] {10, 100, workers}) {
            homeMovement(out, n);
        }
        return 0;
    }

    private static void homeMovement(PrintStream out, int n) {
        HashRing ring = new HashRing();
        for (int w = 0; w < n; w++) {
            ring.add(workerId(w));
        }
        int functions = 100_000;
        String[] before = new String[functions];
        for (int f = 0; f < functions; f++) {
            before[f] = ring.home("fn-" + f);
        }
        ring.add(workerId(n));
        int moved = 0;
        for (int f = 0; f < functions; f++) {
            moved += ring.home("fn-" + f).equals(before[f]) ? 0 : 1;
        }
        out.printf(Locale.ROOT, "home movement adding a worker to %d: %.3f%% of %d functions (1/(N+1) = %.3f%%;"
                + " hash mod N would move %.1f%%)%n", n, 100.0 * moved / functions, functions, 100.0 / (n + 1), 100.0 * n / (n + 1));
    }

    private static String workerId(int w) {
        return String.format("worker-%05d", w);
    }

    private static void row(PrintStream out, String name, long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        out.printf(Locale.ROOT, "%-16s %10d %10d %10d%n", name, sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.99)],
                sorted[(int) (sorted.length * 0.999)]);
    }
}
