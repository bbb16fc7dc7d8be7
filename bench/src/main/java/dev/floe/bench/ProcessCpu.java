package dev.floe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * CPU time from {@code /proc}, grouped: this JVM's threads by what their names say they serve (the
 * kernel keeps the first 15 characters), and other processes by id. Threads and processes that end
 * between two samples take their time with them, so warm runs, where both persist, read true.
 */
final class ProcessCpu {
    /** Milliseconds per clock tick of {@code /proc}'s times: USER_HZ is 100 on every Linux architecture Floe runs on. */
    private static final double MS_PER_TICK = 10;

    private ProcessCpu() {}

    /** One sample of this JVM: CPU ms of each live thread (by id) and its group, and of the whole process. */
    record Sample(Map<Long, Double> threadMs, Map<Long, String> groups, double processMs) {
        /**
         * CPU ms spent between {@code before} and this sample, by group. Threads that ended meanwhile took
         * their time with them; the process's total still holds it, so what no live thread accounts for is
         * put in {@code rest}.
         */
        Map<String, Double> since(Sample before, String rest) {
            Map<String, Double> ms = new HashMap<>();
            double grouped = 0;
            for (var e : threadMs.entrySet()) {
                double d = e.getValue() - before.threadMs.getOrDefault(e.getKey(), 0.0);
                ms.merge(groups.get(e.getKey()), d, Double::sum);
                grouped += d;
            }
            ms.merge(rest, Math.max(0, processMs - before.processMs - grouped), Double::sum);
            return ms;
        }
    }

    /** This JVM's threads, each in the {@code group} of its name, and the process's total. */
    static Sample threads(Function<String, String> group) {
        Map<Long, Double> ms = new HashMap<>();
        Map<Long, String> groups = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                long[] t = read(task.resolve("stat"));
                if (t != null) {
                    long tid = Long.parseLong(task.getFileName().toString());
                    ms.put(tid, t[0] * MS_PER_TICK);
                    groups.put(tid, group.apply(comm(task)));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long[] process = read(Path.of("/proc/self/stat"));
        return new Sample(ms, groups, process == null ? 0 : process[0] * MS_PER_TICK);
    }

    /** Milliseconds of CPU of each process still alive, by id. */
    static Map<Long, Double> processes(Collection<Long> pids) {
        Map<Long, Double> ms = new HashMap<>();
        for (long pid : pids) {
            long[] t = read(Path.of("/proc", Long.toString(pid), "stat"));
            if (t != null) {
                ms.put(pid, t[0] * MS_PER_TICK);
            }
        }
        return ms;
    }

    /** {@code after - before}, per key; a key new in {@code after} counts from zero. */
    static <K> double delta(Map<K, Double> before, Map<K, Double> after) {
        double sum = 0;
        for (var e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0.0);
        }
        return sum;
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException gone) {
            return "";
        }
    }

    /** {utime + stime} in ticks, or null when the task or process is gone. */
    private static long[] read(Path stat) {
        try {
            String text = Files.readString(stat);
            // The name, in parentheses, may hold spaces: the fields after it are counted from the last ')'.
            String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12])};
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }
}
