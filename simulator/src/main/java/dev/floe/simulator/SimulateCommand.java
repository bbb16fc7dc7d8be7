package dev.floe.simulator;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.Progress;
import dev.floe.client.cli.UsageException;
import dev.floe.controller.placement.Placements;
import dev.floe.worker.environment.KeepAlivePolicy;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code floe simulate --trace PATH_PREFIX --workers N --worker-memory MB [--placement P]...
 * [--keep-alive K]... [--seed S] [--json]}: replays the trace once per policy and keep-alive
 * combination and prints what each measured, as a table or as a JSON array.
 */
public final class SimulateCommand {
    /** What runs when no --keep-alive is given: Lambda-like 10 minutes, and Greedy-Dual capped at 10 minutes. */
    static final List<String> DEFAULT_KEEP_ALIVES = List.of("fixed:10m", "greedy-dual:10m");

    private SimulateCommand() {}

    public static FloeCommand command() {
        return FloeCommand.named("simulate").section(FloeCommand.Section.TOOLS)
                .synopsis("simulate --trace PATH_PREFIX [--workers N | --fleet auto] [--worker-memory MB] [--placement P]... [--keep-alive K]... [--json]")
                .summary("replays an Azure Functions trace sample through the placement and keep-alive policies (docs/PLACEMENT.md)")
                .description("""
                        Runs the controller's placement policies and the workers' keep-alive policies (the same classes) on simulated
                        workers in simulated time, and prints cold starts and idle memory for each combination.""")
                .options(new Args.Spec()
                        .value("trace", "PATH_PREFIX", "the sample's files PATH_PREFIX_inv.csv, _run.csv and _mem.csv (e.g. ../shared/workloads/azure2019/100)")
                        .value("workers", "N", "simulated workers, 1..100000 (default 10)")
                        .value("fleet", "auto", "size the fleet: the fewest workers at which the best baseline (the placement other than"
                                + " floe rejecting the fewest, with the first --keep-alive) rejects at most 0.5% of invocations")
                        .value("worker-memory", "MB", "each worker's memory (default 8192)")
                        .repeated("placement", "P", "a placement policy: " + String.join(", ", Placements.NAMES) + " (default: all)")
                        .repeated("policy", "P", "the same as --placement (an older name)")
                        .repeated("keep-alive", "K", "a keep-alive policy, fixed[:D], greedy-dual[:D] or hybrid-histogram[:D] (default: several)")
                        .value("seed", "N", "the random seed (default 1)")
                        .flag("json", "print the results as JSON"))
                .runs(SimulateCommand::run).build();
    }

    public static int run(Args args, Cli cli) {
        args.positional(0, "no arguments");
        String prefix = args.required("trace", "PATH_PREFIX (e.g. ../shared/workloads/azure2019/100, for its _inv, _run and _mem files)");
        int workers = args.integer("workers", 1, 100_000, 10);
        int memoryMb = args.integer("worker-memory", Trace.MIN_MEMORY_MB, 16 * 1024 * 1024, 8192);
        long seed = args.integer("seed", 0, Integer.MAX_VALUE, 1);
        List<String> named = new ArrayList<>(args.all("placement"));
        named.addAll(args.all("policy"));
        List<String> policies = named.isEmpty() ? Placements.NAMES : named;
        for (String p : policies) {
            if (!Placements.NAMES.contains(p)) {
                throw new UsageException("--placement: \"" + p + "\" (expected one of: " + String.join(", ", Placements.NAMES) + ")");
            }
        }
        List<String> keepAlives = new ArrayList<>();
        for (String k : args.all("keep-alive").isEmpty() ? DEFAULT_KEEP_ALIVES : args.all("keep-alive")) {
            try {
                keepAlives.add(KeepAlivePolicy.parse(k).toString());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + e.getMessage());
            }
        }
        Trace trace;
        try {
            trace = Trace.load(prefix);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--trace: " + e.getMessage());
        }
        if (args.has("fleet")) {
            if (!"auto".equals(args.value("fleet", null))) {
                throw new UsageException("--fleet: \"" + args.value("fleet", null) + "\" (expected: auto; --workers N sets a size)");
            }
            if (args.has("workers")) {
                throw new UsageException("--fleet and --workers: both given (expected: one of them)");
            }
            int largest = trace.functions().stream().mapToInt(Trace.Function::memoryMb).max().orElse(0);
            if (largest > memoryMb) {
                // No number of workers would run it: every size rejects its invocations.
                throw new UsageException("--fleet auto: a function of the trace takes " + largest + " MB, more than --worker-memory "
                        + memoryMb + " (expected: --worker-memory of at least " + largest + ")");
            }
            List<String> baselines = FleetSizing.baselines(policies);
            String keepAlive = keepAlives.getFirst();
            FleetSizing.Sized sized;
            try {
                sized = FleetSizing.search(FleetSizing.MAX_WORKERS, n -> FleetSizing.best(trace, n, memoryMb, seed, baselines, keepAlive));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + e.getMessage());
            }
            workers = sized.workers();
            if (!args.flag("json")) {
                Simulation.Result b = sized.best();
                cli.err().printf(Locale.ROOT, "simulate: --fleet auto: %d workers, where the best baseline (%s, %s) rejects %d of %d"
                        + " invocations (%.3f%%; at most %.1f%%)%n", workers, b.policy(), b.keepAlive(), b.rejected(), b.invocations(),
                        100.0 * b.rejected() / Math.max(1, b.invocations()), 100 * FleetSizing.MAX_REJECTED);
            }
        }
        if (!args.flag("json")) {
            cli.err().println("simulate: " + trace.functions().size() + " functions, " + trace.invocations() + " invocations, "
                    + workers + " workers x " + memoryMb + " MB, seed " + seed);
        }
        Simulation simulation = new Simulation(trace, workers, memoryMb, seed);
        List<Simulation.Result> results;
        try (Progress progress = Progress.start(cli.err(), "simulate: combinations replayed")) {
            results = runAll(simulation, policies, keepAlives, seed, progress);
        }
        if (args.flag("json")) {
            cli.out().println(json(results));
        } else {
            table(cli.out(), results);
        }
        return 0;
    }

    /** Every combination, in order; as many at once as there are processors, each replay being independent. */
    static List<Simulation.Result> runAll(Simulation simulation, List<String> policies, List<String> keepAlives, long seed) {
        return runAll(simulation, policies, keepAlives, seed, Progress.start(System.err, "", false));
    }

    /** As above, telling {@code progress} how many combinations are done. */
    static List<Simulation.Result> runAll(Simulation simulation, List<String> policies, List<String> keepAlives, long seed,
                                          Progress progress) {
        List<Callable<Simulation.Result>> runs = new ArrayList<>();
        int total = policies.size() * keepAlives.size();
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        progress.at(0, total);
        for (String policy : policies) {
            for (String keepAlive : keepAlives) {
                runs.add(() -> {
                    Simulation.Result result = simulation.run(policy, Placements.named(policy, seed), keepAlive,
                            () -> KeepAlivePolicy.parse(keepAlive));
                    progress.at(done.incrementAndGet(), total);
                    return result;
                });
            }
        }
        int threads = Math.max(1, Math.min(runs.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("floe-simulate-", 1).factory());
        try {
            List<Simulation.Result> results = new ArrayList<>();
            for (Future<Simulation.Result> f : pool.invokeAll(runs)) {
                results.add(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("simulate: interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    static void table(PrintStream out, List<Simulation.Result> results) {
        out.printf(Locale.ROOT, "%-15s %-21s %12s %12s %10s %9s %14s %14s %9s%n", "policy", "keep-alive", "invocations",
                "cold starts", "cold ratio", "rejected", "idle GB*s", "decisions/s", "prewarms");
        for (Simulation.Result r : results) {
            out.printf(Locale.ROOT, "%-15s %-21s %12d %12d %9.3f%% %9d %14.0f %14.0f %9d%n", r.policy(), r.keepAlive(), r.invocations(),
                    r.coldStarts(), 100 * r.coldStartRatio(), r.rejected(), r.idleMemoryGbSeconds(), r.decisionsPerSecond(), r.prewarms());
        }
    }

    static String json(List<Simulation.Result> results) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++) {
            Simulation.Result r = results.get(i);
            b.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT,
                    "{\"policy\": \"%s\", \"keepAlive\": \"%s\", \"invocations\": %d, \"coldStarts\": %d, \"coldStartRatio\": %.6f,"
                            + " \"rejected\": %d, \"idleMemoryGbSeconds\": %.1f, \"decisionsPerSecond\": %.0f, \"prewarms\": %d}",
                    r.policy(), r.keepAlive(), r.invocations(), r.coldStarts(), r.coldStartRatio(), r.rejected(),
                    r.idleMemoryGbSeconds(), r.decisionsPerSecond(), r.prewarms()));
        }
        return b.append(results.isEmpty() ? "]" : "\n]").toString();
    }
}
