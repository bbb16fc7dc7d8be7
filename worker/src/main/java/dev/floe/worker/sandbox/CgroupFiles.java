package dev.floe.worker.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes cgroup control files: no truncation, no creation, one write per value. */
final class CgroupFiles {
    private CgroupFiles() {}

    static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII).trim();
    }

    /** The value of {@code key} in a flat-keyed file such as {@code cgroup.events} or {@code memory.events}; -1 if absent. */
    static long keyed(Path file, String key) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            int space = line.indexOf(' ');
            if (space > 0 && line.substring(0, space).equals(key)) {
                return Long.parseLong(line.substring(space + 1).trim());
            }
        }
        return -1;
    }

    static long number(Path file) throws IOException {
        String text = read(file);
        return text.equals("max") ? Long.MAX_VALUE : Long.parseLong(text);
    }

    /** The pids listed in a {@code cgroup.procs} or {@code tasks} file; empty if the cgroup is gone. */
    static List<Long> pids(Path file) throws IOException {
        List<Long> pids = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        } catch (NoSuchFileException gone) {
            return List.of();
        }
        return pids;
    }
}
