package dev.floe.worker.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * What holds one environment's processes: its cgroups (one per hierarchy the worker uses) and its
 * process group. Everything the runtime forks, in the background or in a new process group, stays
 * in the cgroups, so the cell can freeze, measure and kill all of it. Without cgroups, the process
 * group is the fallback and a process that leaves it escapes.
 */
public final class Cell implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Cell.class.getName());

    private final String id;
    private final Path unified;
    private final Path v1Freezer;
    private final Path v1Memory;
    private final Path v1Pids;
    private final MemoryControl memory;
    private volatile long pid;
    /** Whether the launcher stays beside a PID namespace of the environment's own (its init, then the runtime). */
    private volatile boolean namespaced;
    private volatile long runtimePid;
    /** The user the environment's processes run as; 0 when they run as the worker's. */
    private final long uid;
    private final UserIds users;
    private final java.util.Map<Path, ControlFile> controls = new java.util.HashMap<>();

    Cell(String id, Path unified, Path v1Freezer, Path v1Memory, Path v1Pids, MemoryControl memory) {
        this(id, unified, v1Freezer, v1Memory, v1Pids, memory, 0, null);
    }

    Cell(String id, Path unified, Path v1Freezer, Path v1Memory, Path v1Pids, MemoryControl memory, long uid,
         UserIds users) {
        this.id = id;
        this.uid = uid;
        this.users = users;
        this.unified = unified;
        this.v1Freezer = v1Freezer;
        this.v1Memory = v1Memory;
        this.v1Pids = v1Pids;
        this.memory = memory;
    }

    /** Which hierarchy holds the memory limit, if any. */
    enum MemoryControl { CGROUP2, CGROUP1, NONE }

    public String id() {
        return id;
    }

    /** The process the worker started (the launcher); also the id of the environment's process group, which it creates. */
    public long pid() {
        return pid;
    }

    /**
     * The runtime as the machine numbers it: the launcher itself where it became the runtime, else
     * the child of the environment's init (the launcher's child); the launcher until that one exists.
     */
    public long runtimePid() {
        long known = runtimePid;
        if (known > 0 || !namespaced || pid <= 0) {
            return known > 0 ? known : pid;
        }
        long init = firstChild(pid);
        long runtime = init > 0 ? firstChild(init) : 0;
        if (runtime > 0) {
            runtimePid = runtime;
            return runtime;
        }
        return pid;
    }

    private static long firstChild(long parent) {
        try {
            String children = Files.readString(Path.of("/proc", Long.toString(parent), "task", Long.toString(parent), "children")).trim();
            return children.isEmpty() ? 0 : Long.parseLong(children.split(" ")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    public long uid() {
        return uid;
    }

    void started(long launcherPid, boolean inPidNamespace) {
        this.namespaced = inPidNamespace;
        this.pid = launcherPid;
    }

    Path unified() {
        return unified;
    }

    Path v1Freezer() {
        return v1Freezer;
    }

    /** The {@code cgroup.procs} files the launcher writes its pid into. */
    List<Path> procsFiles() {
        List<Path> files = new ArrayList<>();
        for (Path dir : new Path[] {unified, v1Freezer, v1Memory, v1Pids}) {
            if (dir != null) {
                files.add(dir.resolve("cgroup.procs"));
            }
        }
        return files;
    }

    /** The highest memory use since the last {@link #resetMemoryPeak()}, in bytes; -1 if unknown. */
    public long memoryPeakBytes() {
        try {
            return switch (memory) {
                case CGROUP2 -> control(unified, "memory.peak", true).number();
                case CGROUP1 -> control(v1Memory, "memory.max_usage_in_bytes", true).number();
                case NONE -> residentPeakOfRuntime();
            };
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Starts a new peak measurement, at the start of an invocation. */
    public void resetMemoryPeak() {
        try {
            switch (memory) {
                case CGROUP2 -> control(unified, "memory.peak", true).write("0");
                case CGROUP1 -> control(v1Memory, "memory.max_usage_in_bytes", true).write("0");
                case NONE -> { }
            }
        } catch (IOException e) {
            // kernels before 6.12 cannot reset memory.peak: the peak is then the environment's
        }
    }

    /** How many times the kernel's OOM killer has killed a process in this cell. */
    public long oomKills() {
        try {
            return switch (memory) {
                case CGROUP2 -> Math.max(0, control(unified, "memory.events", false).keyed("oom_kill"));
                case CGROUP1 -> Math.max(0, control(v1Memory, "memory.oom_control", false).keyed("oom_kill"));
                case NONE -> 0;
            };
        } catch (IOException e) {
            return 0;
        }
    }

    /** One of the cell's control files, opened on first use and kept open until {@link #close()}. */
    ControlFile control(Path dir, String name, boolean writable) throws IOException {
        synchronized (controls) {
            ControlFile file = controls.get(dir.resolve(name));
            if (file == null) {
                file = new ControlFile(dir.resolve(name), writable);
                controls.put(dir.resolve(name), file);
            }
            return file;
        }
    }

    /**
     * Kills every process in the cell with SIGKILL, frozen or not: through the v1 freezer's
     * freeze-signal-thaw where the cell has one (v1-frozen tasks ignore signals until thawed), through
     * {@code cgroup.kill} where the kernel has it, else by signalling each member of each cgroup; and
     * the process group as well.
     */
    public void killAll() {
        try {
            if (v1Freezer != null) {
                // A task frozen by the v1 freezer ignores even SIGKILL until thawed: freeze (so nothing
                // forks meanwhile), signal every member, then thaw so the signals land.
                CgroupFiles.write(v1Freezer.resolve("freezer.state"), "FROZEN");
                killEach(v1Freezer.resolve("cgroup.procs"));
                CgroupFiles.write(v1Freezer.resolve("freezer.state"), "THAWED");
            }
            if (unified != null && Files.exists(unified.resolve("cgroup.kill"))) {
                CgroupFiles.write(unified.resolve("cgroup.kill"), "1");
            } else if (unified != null) {
                CgroupFiles.write(unified.resolve("cgroup.freeze"), "1");
                killEach(unified.resolve("cgroup.procs"));
                CgroupFiles.write(unified.resolve("cgroup.freeze"), "0");
            }
            for (Path procs : procsFiles()) {
                for (int round = 0; round < 8 && killEach(procs) > 0; round++) {
                    LockSupport.parkNanos(1_000_000);
                }
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            // the cgroup was removed meanwhile: nothing left in it
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "killing cell " + id + " through its cgroups failed", e);
        }
        if (pid > 0 && procsFiles().isEmpty()) {
            // Without cgroups the process group is all there is. With them, it is not needed, and after
            // the runtime was reaped its number may already name another process group.
            Libc.kill(-pid, Libc.SIGKILL);
        }
    }

    /** True once no process is left in the cell's cgroups (or, without cgroups, in its process group). */
    public boolean isEmpty() {
        List<Path> files = procsFiles();
        if (files.isEmpty()) {
            return pid == 0 || !Libc.kill(-pid, 0);
        }
        try {
            for (Path procs : files) {
                if (!CgroupFiles.pids(procs).isEmpty()) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes the cell's cgroups. Call after {@link #killAll()}: waits (bounded) for the killed
     * processes to be reaped, since a cgroup with members cannot be removed.
     */
    @Override
    public void close() {
        synchronized (controls) {
            for (ControlFile file : controls.values()) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // the cgroup is about to go
                }
            }
            controls.clear();
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (Path dir : new Path[] {unified, v1Freezer, v1Memory, v1Pids}) {
            if (dir == null) {
                continue;
            }
            long pause = 100_000;
            while (true) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (IOException busy) {
                    if (System.nanoTime() - deadline > 0) {
                        LOG.log(System.Logger.Level.WARNING, "cgroup " + dir + " still busy; left behind: " + busy);
                        break;
                    }
                    try {
                        killEach(dir.resolve("cgroup.procs"));
                    } catch (IOException ignored) {
                        // gone meanwhile
                    }
                    LockSupport.parkNanos(pause);
                    pause = Math.min(pause * 2, 50_000_000);
                }
            }
        }
        // Only now may another environment get this user: nothing of this one is left to share it with.
        if (users != null && isEmptyQuietly()) {
            users.release(uid);
        }
    }

    private boolean isEmptyQuietly() {
        try {
            return isEmpty();
        } catch (UncheckedIOException e) {
            return true;
        }
    }

    private static int killEach(Path procs) throws IOException {
        List<Long> pids = CgroupFiles.pids(procs);
        for (long member : pids) {
            Libc.kill(member, Libc.SIGKILL);
        }
        return pids.size();
    }

    private long residentPeakOfRuntime() throws IOException {
        long runtime = runtimePid();
        if (runtime <= 0) {
            return -1;
        }
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(runtime), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "Cell[" + id + "]";
    }
}
