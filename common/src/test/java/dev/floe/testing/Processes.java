package dev.floe.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the processes a test started, however far they wandered (forked, re-parented, in a new
 * session, with a cleared environment): an environment's processes inherit variables that name its
 * worker's data directory, and sit in cgroups whose paths name the worker, so a scan of
 * {@code /proc/<pid>/environ} and {@code /proc/<pid>/cgroup} finds them all.
 */
public final class Processes {
    private Processes() {}

    /** Pids of live (non-zombie) processes whose environment or cgroup paths mention {@code marker}. */
    public static List<Long> mentioning(String marker) {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        List<Long> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
                    continue;
                }
                try {
                    boolean ours = contains(Files.readAllBytes(proc.resolve("environ")), needle)
                            || contains(Files.readAllBytes(proc.resolve("cgroup")), needle);
                    if (ours && !isZombie(proc)) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException | SecurityException gone) {
                    // exited meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc: " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * The machine's pid of the process that an environment (whose cgroup paths mention
     * {@code marker}) numbers {@code namespacePid} in its own PID namespace; the pid itself where the
     * environment has no namespace of its own. Fails if there is no such process.
     */
    public static long hostPid(String marker, long namespacePid) {
        for (long pid : mentioning(marker)) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("NSpid:")) {
                        String[] numbers = line.substring(6).trim().split("\\s+");
                        if (Long.parseLong(numbers[numbers.length - 1]) == namespacePid) {
                            return pid;
                        }
                    }
                }
            } catch (IOException gone) {
                // exited meanwhile
            }
        }
        throw new AssertionError("no process numbered " + namespacePid + " in the namespace of " + marker);
    }

    /** Fails unless every process mentioning {@code marker} is gone within {@code timeout}. */
    public static void assertNoneLeft(String marker, Duration timeout) {
        try {
            Await.until(timeout, "no process left of " + marker, () -> mentioning(marker).isEmpty());
        } catch (AssertionError e) {
            List<String> described = mentioning(marker).stream().map(Processes::describe).toList();
            throw new AssertionError(e.getMessage() + "; still running: " + described, e);
        }
    }

    public static String describe(long pid) {
        try {
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').trim();
            return pid + " " + cmdline;
        } catch (IOException e) {
            return pid + " (gone)";
        }
    }

    /** The scheduler state letter of a process: R, S, D, T (stopped), t, Z... */
    public static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '?';
        }
    }

    private static boolean isZombie(Path proc) throws IOException {
        String stat = Files.readString(proc.resolve("stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
