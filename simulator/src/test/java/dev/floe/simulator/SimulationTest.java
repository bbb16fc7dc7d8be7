package dev.floe.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.placement.Placements;
import dev.floe.worker.environment.KeepAlivePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small synthetic traces whose answers are known. */
class SimulationTest {
    @TempDir
    Path dir;

    /** A function: its app's memory, its constant run time, and its invocations per minute. */
    record Fn(String name, int memoryMb, int runMs, int... perMinute) {}

    static String write(Path dir, Fn... functions) throws IOException {
        int minutes = functions[0].perMinute().length;
        StringBuilder inv = new StringBuilder("HashFunction,HashApp,HashOwner");
        for (int m = 1; m <= minutes; m++) {
            inv.append(",minute_").append(m);
        }
        StringBuilder run = new StringBuilder("HashFunction,HashApp,HashOwner,Count,Average,Minimum,Maximum,"
                + "percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,"
                + "percentile_Average_75,percentile_Average_99,percentile_Average_100");
        StringBuilder mem = new StringBuilder("HashApp,HashOwner,SampleCount,AverageAllocatedMb");
        for (Fn f : functions) {
            inv.append('\n').append(f.name()).append(",app-").append(f.name()).append(",owner");
            for (int c : f.perMinute()) {
                inv.append(',').append(c);
            }
            run.append('\n').append(f.name()).append(",app-").append(f.name()).append(",owner,1,").append(f.runMs())
                    .append(",").append(f.runMs()).append(",").append(f.runMs());
            for (int i = 0; i < 7; i++) {
                run.append(',').append(f.runMs());
            }
            mem.append('\n').append("app-").append(f.name()).append(",owner,1,").append(f.memoryMb());
        }
        Path prefix = dir.resolve("t");
        Files.writeString(Path.of(prefix + "_inv.csv"), inv + "\n");
        Files.writeString(Path.of(prefix + "_run.csv"), run + "\n");
        Files.writeString(Path.of(prefix + "_mem.csv"), mem + "\n");
        return prefix.toString();
    }

    private Simulation.Result run(String prefix, int workers, int memoryMb, String policy, String keepAlive) {
        return new Simulation(Trace.load(prefix), workers, memoryMb, 1)
                .run(policy, Placements.named(policy, 1), keepAlive, () -> KeepAlivePolicy.parse(keepAlive));
    }

    private static int[] minutes(int n, int... at) {
        int[] perMinute = new int[n];
        for (int m : at) {
            perMinute[m]++;
        }
        return perMinute;
    }

    @Test
    void aFunctionCalledWithinItsKeepAliveStartsColdOnce() throws IOException {
        String prefix = write(dir, new Fn("f", 128, 100, minutes(6, 0, 2, 4)));

        Simulation.Result kept = run(prefix, 1, 1024, "floe", "fixed:10m");
        assertEquals(3, kept.invocations());
        assertEquals(1, kept.coldStarts());
        assertEquals(0, kept.rejected());

        Simulation.Result expired = run(prefix, 1, 1024, "floe", "fixed:1m");
        assertEquals(3, expired.coldStarts(), "two minutes apart at least, minus a second of run: past a 1-minute keep-alive");
    }

    @Test
    void idleMemoryIsTheMemoryKeptButNotRunning() throws IOException {
        // One invocation in the first minute of two: its environment (1 GB) is idle from its end to the end of minute 2.
        String prefix = write(dir, new Fn("f", 1024, 100, minutes(2, 0)));
        Simulation.Result r = run(prefix, 1, 2048, "floe", "fixed:10m");

        assertTrue(r.idleMemoryGbSeconds() > 60 && r.idleMemoryGbSeconds() < 120, "idle GB*s " + r.idleMemoryGbSeconds());
        Simulation.Result shortKeepAlive = run(prefix, 1, 2048, "floe", "fixed:10s");
        assertTrue(shortKeepAlive.idleMemoryGbSeconds() <= 20, "retired within a sweep of 10 s: " + shortKeepAlive.idleMemoryGbSeconds());
    }

    @Test
    void floeKeepsEachFunctionWarmWhereOthersScatterThem() throws IOException {
        List<Fn> fns = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] everyMinute = new int[30];
            java.util.Arrays.fill(everyMinute, 1);
            fns.add(new Fn("f" + i, 256, 50, everyMinute));
        }
        String prefix = write(dir, fns.toArray(Fn[]::new));

        Simulation.Result floe = run(prefix, 4, 1024, "floe", "fixed:10m");
        assertEquals(240, floe.invocations());
        assertEquals(8, floe.coldStarts(), "one per function: every later invocation finds its environment");
        Simulation.Result random = run(prefix, 4, 1024, "random", "fixed:10m");
        assertTrue(random.coldStarts() > 8, "random sends functions where their environments are not: " + random.coldStarts());
    }

    @Test
    void anInvocationNoWorkerCanHoldIsRejectedNotStarted() throws IOException {
        String prefix = write(dir, new Fn("big", 4096, 100, minutes(3, 0, 1, 2)));
        Simulation.Result r = run(prefix, 2, 1024, "floe", "fixed:10m");

        assertEquals(3, r.invocations());
        assertEquals(3, r.rejected());
        assertEquals(0, r.coldStarts());
    }

    @Test
    void greedyDualKeepsTheFrequentFunctionUnderPressure() throws IOException {
        // Room for two 512 MB environments; f is called 5 times a minute, g and h in turns: once f's
        // frequency outweighs the others' cold-start costs (at most 10 times f's), Greedy-Dual keeps f's.
        int[] every = new int[20];
        java.util.Arrays.fill(every, 5);
        int[] g = new int[20];
        int[] h = new int[20];
        for (int m = 0; m < 20; m++) {
            (m % 2 == 0 ? g : h)[m] = 1;
        }
        String prefix = write(dir, new Fn("f", 512, 100, every), new Fn("g", 512, 100, g), new Fn("h", 512, 100, h));

        Simulation.Result gd = run(prefix, 1, 1024, "floe", "greedy-dual:10m");
        assertEquals(120, gd.invocations());
        assertTrue(gd.coldStarts() >= 20 && gd.coldStarts() <= 24, "f stays warm after its first minutes; g and h take turns: "
                + gd.coldStarts());
    }

    @Test
    void hybridHistogramPrewarmsATimerFunctionThatAFixedKeepAliveLosesEveryTime() throws IOException {
        // Called every 30 minutes for 12 hours: past a 10-minute keep-alive every time. Once 10 idle
        // times of about 30 minutes are known (the 11th call), each end retires the environment and a
        // prewarm at about 26 minutes brings one back before the next call.
        int[] at = new int[24];
        for (int i = 0; i < 24; i++) {
            at[i] = 30 * i;
        }
        String prefix = write(dir, new Fn("timer", 512, 100, minutes(720, at)));

        Simulation.Result fixed = run(prefix, 1, 2048, "floe", "fixed:10m");
        assertEquals(24, fixed.coldStarts());
        Simulation.Result hybrid = run(prefix, 1, 2048, "floe", "hybrid-histogram:10m");
        assertEquals(24, hybrid.invocations());
        assertEquals(11, hybrid.coldStarts(), "the prewarmed environments' first invocations are warm");
        assertEquals(14, hybrid.prewarms(), "one after each of the last 14 calls, the last one unused when the trace ends");
        // Idle: 11 fallback keep-alives of 10 minutes, then 14 prewarmed environments idle 3 to 9 minutes each.
        assertTrue(hybrid.idleMemoryGbSeconds() < fixed.idleMemoryGbSeconds(), hybrid + " against " + fixed);
        assertTrue(hybrid.idleMemoryGbSeconds() > 0.5 * (11 * 600 + 13 * 150), "prewarmed memory counts as idle: " + hybrid);
    }
}
