package dev.floe.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The recording function's own account: how many times each sequence number ran. Lines are
 * {@code <seq> <request id> <pid>}; a line cut short by a killed process is counted as torn.
 *
 * @param runs sequence number to the times it ran (the health check's seq 0 included)
 * @param torn lines that could not be read
 */
record Records(Map<Long, Integer> runs, int torn) {
    static Records read(Path file) throws IOException {
        Map<Long, Integer> runs = new HashMap<>();
        int torn = 0;
        for (String line : Files.readAllLines(file)) {
            String[] fields = line.split(" ");
            try {
                if (fields.length != 3) {
                    throw new NumberFormatException(line);
                }
                runs.merge(Long.parseLong(fields[0]), 1, Integer::sum);
            } catch (NumberFormatException e) {
                torn++;
            }
        }
        return new Records(Map.copyOf(runs), torn);
    }

    boolean ran(long seq) {
        return runs.containsKey(seq);
    }

    /** Sequence numbers (not the health check's 0) that ran more than once. */
    long duplicated() {
        return runs.entrySet().stream().filter(e -> e.getKey() != 0 && e.getValue() > 1).count();
    }

    long distinct() {
        return runs.keySet().stream().filter(seq -> seq != 0).count();
    }
}
