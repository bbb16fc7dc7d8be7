package dev.floe.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An Azure Functions 2019 trace sample ({@code PREFIX_inv.csv}, {@code PREFIX_run.csv},
 * {@code PREFIX_mem.csv}; see the samples' README): per function, its invocations in each minute,
 * its execution time percentiles and its app's memory.
 */
public record Trace(List<Function> functions) {
    /** Execution-time percentiles as the trace gives them: 0, 1, 25, 50, 75, 99, 100. */
    static final double[] PERCENTILES = {0, 0.01, 0.25, 0.50, 0.75, 0.99, 1.0};
    /** Lambda's smallest memory size; the trace's apps average less than this at times. */
    static final int MIN_MEMORY_MB = 128;

    /**
     * One function of the trace.
     *
     * @param perMinute invocations in each minute of the day
     * @param runMs execution time at each of {@link #PERCENTILES}
     */
    public record Function(String id, String app, int[] perMinute, double[] runMs, int memoryMb) {
        long invocations() {
            long n = 0;
            for (int c : perMinute) {
                n += c;
            }
            return n;
        }

        /** An execution time for the quantile {@code u} in [0, 1), linear between the given percentiles. */
        double runMs(double u) {
            for (int i = 1; i < PERCENTILES.length; i++) {
                if (u <= PERCENTILES[i]) {
                    double f = (u - PERCENTILES[i - 1]) / (PERCENTILES[i] - PERCENTILES[i - 1]);
                    return runMs[i - 1] + f * (runMs[i] - runMs[i - 1]);
                }
            }
            return runMs[runMs.length - 1];
        }
    }

    public long invocations() {
        return functions.stream().mapToLong(Function::invocations).sum();
    }

    /** Reads {@code prefix + "_inv.csv"} and its two companions. */
    public static Trace load(String prefix) {
        Path inv = Path.of(prefix + "_inv.csv");
        Path run = Path.of(prefix + "_run.csv");
        Path mem = Path.of(prefix + "_mem.csv");
        try {
            Map<String, Integer> memory = new HashMap<>();
            for (String[] row : rows(mem, 4)) {
                memory.put(row[0], Math.max(MIN_MEMORY_MB, (int) Math.ceil(Double.parseDouble(row[3]))));
            }
            Map<String, double[]> runs = new HashMap<>();
            for (String[] row : rows(run, 14)) {
                double[] p = new double[PERCENTILES.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = Math.max(0, Double.parseDouble(row[7 + i]));
                }
                runs.put(row[0] + "/" + row[1], p);
            }
            List<Function> functions = new ArrayList<>();
            for (String[] row : rows(inv, 4)) {
                int[] perMinute = new int[row.length - 3];
                for (int i = 0; i < perMinute.length; i++) {
                    perMinute[i] = Integer.parseInt(row[3 + i]);
                }
                double[] p = runs.get(row[0] + "/" + row[1]);
                Integer mb = memory.get(row[1]);
                if (p == null || mb == null) {
                    throw new IllegalArgumentException("trace " + prefix + ": function " + row[0] + " has no "
                            + (p == null ? "row in " + run : "app row in " + mem) + " (expected: every function of "
                            + inv + " in both)");
                }
                functions.add(new Function(row[0], row[1], perMinute, p, mb));
            }
            if (functions.isEmpty()) {
                throw new IllegalArgumentException("trace " + prefix + ": " + inv + " has no functions");
            }
            return new Trace(List.copyOf(functions));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("trace " + prefix + ": " + e.getFile() + " does not exist (expected: PREFIX_inv.csv,"
                    + " PREFIX_run.csv and PREFIX_mem.csv, e.g. --trace ../shared/workloads/azure2019/100)");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("trace " + prefix + ": " + e.getMessage() + " (expected: numbers in the"
                    + " count, percentile and memory columns)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data rows (header skipped), each with at least {@code columns} columns. */
    private static List<String[]> rows(Path file, int columns) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<String[]> rows = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] row = line.split(",", -1);
            if (row.length < columns) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + row.length + " columns (expected: at least "
                        + columns + ")");
            }
            rows.add(row);
        }
        return rows;
    }
}
