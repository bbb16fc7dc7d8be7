package dev.floe.worker.sandbox;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The machine's means of holding environments, found once when a worker starts: which freezer,
 * which memory limit, which kind of /tmp. It creates a {@link Cell} and a {@link TmpVolume} per
 * environment and launches runtimes into them. Its cgroups live under
 * {@code <worker's own cgroup>/floe/<worker id>-<hash of its data directory>/<environment id>} in each
 * hierarchy it uses: unique to one worker even if two fleets on a machine reuse worker ids. The worker
 * registers in the machine's {@link WorkerRegistry} when it opens, after removing what dead workers
 * left there (see {@link Leftovers}), whatever their ids and data directories.
 */
public final class Sandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Sandbox.class.getName());

    /** Which freezer to use: {@code AUTO} picks cgroup v2, then cgroup v1, then signals. */
    public enum FreezerChoice { AUTO, CGROUP2, CGROUP1, SIGNAL }

    /** Which /tmp to give environments: {@code AUTO} picks disk, then tmpfs, then a private TMPDIR. */
    public enum TmpChoice { AUTO, DISK, TMPFS, TMPDIR }

    /**
     * How to start environments: {@code NATIVE} is one compiled program making the system calls
     * (built where the build machine had a C compiler), {@code SCRIPT} a shell script running the same
     * steps as separate programs (a few milliseconds each); {@code AUTO} prefers native.
     */
    public enum LauncherChoice { AUTO, NATIVE, SCRIPT }

    /**
     * What a worker asks of its sandbox; {@code pidsMax} is Lambda's limit of 1,024 processes and threads.
     *
     * @param writable directories of the machine every function may write, at their own paths (where
     *     environments have a mount namespace, the rest of the machine is read-only to them); none by
     *     default, as in Lambda, where only /tmp is writable
     */
    public record Options(FreezerChoice freezer, TmpChoice tmp, boolean memoryLimits, int pidsMax, LauncherChoice launcher,
                          List<Path> writable) {
        public Options {
            writable = List.copyOf(writable);
        }

        public Options(FreezerChoice freezer, TmpChoice tmp, boolean memoryLimits, int pidsMax, LauncherChoice launcher) {
            this(freezer, tmp, memoryLimits, pidsMax, launcher, List.of());
        }

        public Options(FreezerChoice freezer, TmpChoice tmp, boolean memoryLimits, int pidsMax) {
            this(freezer, tmp, memoryLimits, pidsMax, LauncherChoice.AUTO);
        }

        public static Options defaults() {
            return new Options(FreezerChoice.AUTO, TmpChoice.AUTO, true, 1024, LauncherChoice.AUTO);
        }

        /** These options with {@code dirs} writable by every function. */
        public Options withWritable(List<Path> dirs) {
            return new Options(freezer, tmp, memoryLimits, pidsMax, launcher, dirs);
        }
    }

    /**
     * What was chosen, in the words the fleet view reports.
     *
     * @param users "per-environment" (each environment its own unprivileged user) or "worker" (no
     *     privilege to switch users: environments run as the worker's user)
     */
    public record Info(String freezer, String memoryLimit, String tmp, String launcher, String users) {}

    /** Disk kept free for the worker itself (logs, code, its database) when /tmp images are sized. */
    static final long RESERVED_DISK_BYTES = 1024L * 1024 * 1024;

    /** Where the function's code appears inside an environment with its own mount namespace, as in Lambda. */
    public static final Path TASK_ROOT = Path.of("/var/task");
    /** The mount point of a managed runtime's files, as in Lambda; empty on the machine itself. */
    public static final Path RUNTIME_ROOT = Path.of("/var/runtime");
    /**
     * The mount point of an interpreter's installation kept where the environment's private mounts
     * would hide it (a release unpacked under /tmp), as Lambda's /var/lang; empty on the machine itself.
     */
    public static final Path LANG_ROOT = Path.of("/var/lang");
    /** Where an environment has its own /tmp: the machine's files under these are out of its sight. */
    private static final List<Path> PRIVATE_PLACES = List.of(Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"));

    private final CgroupTree tree;
    private final Cell.MemoryControl memory;
    private final FreezeDriver freezeDriver;
    private final TmpVolume.Kind tmpKind;
    private final int pidsMax;
    private final List<String> launcher;
    private final ExecutorService spawner;
    /** Null when environments run as the worker's user. */
    private final UserIds users;
    private final Path environments;
    /** Where environments without a mount namespace get their private TMPDIR, one directory each, their user's. */
    private final Path tmpDirs;
    private final java.util.concurrent.ScheduledExecutorService formatter;
    private final TmpImagePool tmpImages;
    /** The worker's entry in the machine's registry of live workers, held until it closes. */
    private WorkerRegistry.Lease lease;
    private final OutputPump outputs;
    /** Directories every function may write; the launcher's flags for them, empty without a mount namespace. */
    private final List<String> writableFlags;

    private Sandbox(CgroupTree tree, Cell.MemoryControl memory,
                    FreezeDriver freezeDriver, TmpVolume.Kind tmpKind, int pidsMax, List<String> launcher, String workerId,
                    Path dataDir) throws IOException {
        this.tree = tree;
        this.memory = memory;
        this.freezeDriver = freezeDriver;
        this.tmpKind = tmpKind;
        this.pidsMax = pidsMax;
        this.launcher = launcher;
        // Runtimes are spawned from one long-lived thread: the kernel delivers their parent-death
        // signal when the thread that spawned them ends, so it must live as long as the worker.
        this.spawner = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("floe-spawner-" + workerId).daemon(true).factory());
        // One image at a time in the background: formatting competes with the invocations for the CPU.
        this.formatter = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("floe-tmp-formatter-" + workerId).daemon(true).factory());
        this.tmpImages = new TmpImagePool(privateDirectory(dataDir.resolve("tmp-images")), formatter, 2);
        this.environments = privateDirectory(dataDir.resolve("envs"));
        // A root worker runs every environment as a user of its own, whatever its /tmp.
        this.users = HostProbe.isRoot() ? UserIds.PROCESS : null;
        this.tmpDirs = tmpKind == TmpVolume.Kind.TMPDIR ? traversableDirectory(dataDir.resolve("tmpdirs")) : null;
        this.outputs = new OutputPump(workerId);
        this.writableFlags = new ArrayList<>();
    }

    /**
     * Finds the machine's mechanisms and prepares the worker's cgroups. Fails with a message saying
     * what is missing when an explicitly chosen mechanism is unavailable.
     */
    public static Sandbox open(String workerId, Path dataDir, Options options) throws IOException {
        return open(workerId, dataDir, options, WorkerRegistry.forThisUser());
    }

    /**
     * As {@link #open(String, Path, Options)}, registered in {@code registry}: first removes what dead
     * workers of the registry left (see {@link Leftovers}), a previous run of this one included.
     */
    public static Sandbox open(String workerId, Path dataDir, Options options, WorkerRegistry registry) throws IOException {
        CgroupMounts mounts = CgroupMounts.detect();
        Path data = dataDir.toAbsolutePath().normalize();
        WorkerRegistry.Lease lease = registry.register(cgroupName(workerId, dataDir));
        try {
            if (lease.previous() != null) {
                Leftovers.remove(lease.previous(), Set.of());
            }
            // Only what entries list: a subtree without one may be a running worker of an older Floe.
            Leftovers.removeDead(registry, List.of());
            for (Path live : Leftovers.liveDataDirs(registry)) {
                if (live.equals(data)) {
                    throw new IOException("the data directory " + data + " is used by another worker that is running");
                }
            }
            Leftovers.removeEnvironmentDirs(data);
            Sandbox sandbox = open(workerId, dataDir, options, mounts);
            sandbox.lease = lease;
            lease.record(new WorkerRegistry.Entry(cgroupName(workerId, dataDir), sandbox.tree.bases(), data));
            return sandbox;
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /**
     * Removes what workers no longer running on this machine left (processes, cgroups, loop devices,
     * environments' files), whatever their ids and data directories; live workers' are untouched.
     * Also removes empty cgroups of worker subtrees no registry entry names, under this process's
     * own cgroups. Returns how many environments were removed.
     */
    public static int removeLeftoversOfDeadWorkers() {
        return removeLeftoversOfDeadWorkers(WorkerRegistry.forThisUser());
    }

    /** As {@link #removeLeftoversOfDeadWorkers()}, for the workers of {@code registry}. */
    public static int removeLeftoversOfDeadWorkers(WorkerRegistry registry) {
        return Leftovers.removeDead(registry, CgroupTree.floeDirs(CgroupMounts.detect()));
    }



    private static Sandbox open(String workerId, Path dataDir, Options options, CgroupMounts mounts) throws IOException {
        CgroupTree.Chosen cgroups = CgroupTree.choose(mounts, "floe/" + cgroupName(workerId, dataDir), options);
        Path bin = Files.createDirectories(dataDir.resolve("bin"));
        List<String> launcher = HostProbe.installLauncher(bin, options.launcher());
        if (launcher.size() > 1 && HostProbe.isRoot()) {
            // The script cannot keep the function's variables away from the programs it runs as root.
            throw new IOException("a worker running as root starts environments with the native launcher, which this"
                    + " machine cannot run (build Floe where a C compiler is installed, for " + System.getProperty("os.arch")
                    + "), or run the worker as an unprivileged user");
        }
        TmpVolume.Kind tmp = HostProbe.chooseTmp(options.tmp());
        if (tmp != TmpVolume.Kind.TMPDIR) {
            // The mount point of every environment's code; empty on the machine itself.
            Files.createDirectories(TASK_ROOT);
            Files.createDirectories(RUNTIME_ROOT);
            Files.createDirectories(LANG_ROOT);
        }
        List<Path> writable = checkWritable(options.writable());
        if (tmp != TmpVolume.Kind.TMPDIR && HostProbe.underTmp(dataDir)) {
            // A private /tmp mounted in the environment would hide the worker's data there, code included.
            if (options.tmp() != TmpChoice.AUTO) {
                throw new IOException("tmp " + options.tmp().name().toLowerCase() + " needs a data directory outside /tmp (got "
                        + dataDir + ")");
            }
            LOG.log(System.Logger.Level.WARNING, "the data directory " + dataDir + " is under /tmp, so environments get a"
                    + " private TMPDIR instead of their own /tmp; use a data directory outside /tmp (e.g. under /var/tmp)");
            tmp = TmpVolume.Kind.TMPDIR;
        }
        Sandbox sandbox = new Sandbox(cgroups.tree(), cgroups.memory(), cgroups.driver(), tmp, cgroups.pidsMax(), launcher,
                workerId, dataDir);
        if (tmp != TmpVolume.Kind.TMPDIR) {
            for (Path dir : writable) {
                sandbox.writableFlags.add("--writable");
                sandbox.writableFlags.add(dir.toString());
            }
        }
        sandbox.tree.removeLeftovers();
        if (tmp == TmpVolume.Kind.DISK) {
            sandbox.tmpImages.refill(dev.floe.common.FunctionLimits.TMP_DEFAULT_MB);
        }
        return sandbox;
    }

    public Info info() {
        return new Info(freezeDriver.name(), switch (memory) {
            case CGROUP2 -> "cgroup2";
            case CGROUP1 -> "cgroup1";
            case NONE -> "none";
        }, tmpKind.wireName(), launcher.size() == 1 ? "native" : "script", users != null ? "per-environment" : "worker");
    }

    /** Where environments keep their logs and /tmp images, one directory each; the worker's alone. */
    public Path environmentsDir() {
        return environments;
    }

    /** Where an environment sees the code unpacked at {@code code}: /var/task with a mount namespace, else where it is. */
    public Path taskRoot(Path code) {
        return tmpKind == TmpVolume.Kind.TMPDIR ? code : TASK_ROOT;
    }

    /** Where an environment sees a managed runtime's files kept at {@code runtime}: /var/runtime with a mount namespace. */
    public Path runtimeRoot(Path runtime) {
        return tmpKind == TmpVolume.Kind.TMPDIR ? runtime : RUNTIME_ROOT;
    }

    /** Who may use the cell's Runtime API endpoint: only its own processes, where they have their own user. */
    public dev.floe.worker.runtimeapi.PeerCheck peers(Cell cell) {
        return cell.uid() != 0 ? dev.floe.worker.runtimeapi.PeerCheck.socketOwner(cell.uid())
                : dev.floe.worker.runtimeapi.PeerCheck.anyone();
    }

    public FreezeDriver freezeDriver() {
        return freezeDriver;
    }

    /** Carries the runtimes' output to their logs: one pipe each, read as it arrives. */
    public OutputPump outputs() {
        return outputs;
    }

    /** Creates the environment's cgroups with its memory and process limits. Blocking: call off the event loop. */
    public Cell createCell(String envId, int memoryMb) throws IOException {
        Path[] dirs = tree.makeCell(envId);
        Path unified = dirs[0];
        Path freezer = dirs[1];
        Path mem = dirs[2];
        Path pids = dirs[3];
        Cell cell = users == null ? new Cell(envId, unified, freezer, mem, pids, memory)
                : new Cell(envId, unified, freezer, mem, pids, memory, users.allocate(), users);
        try {
            long bytes = (long) memoryMb * 1024 * 1024;
            switch (memory) {
                case CGROUP2 -> {
                    CgroupFiles.write(unified.resolve("memory.max"), Long.toString(bytes));
                    CgroupTree.writeIfPresent(unified.resolve("memory.swap.max"), "0");
                }
                case CGROUP1 -> {
                    CgroupFiles.write(mem.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                    CgroupTree.writeIfPresent(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
                }
                case NONE -> { }
            }
            if (pidsMax > 0) {
                CgroupFiles.write((pids != null ? pids : unified).resolve("pids.max"), Integer.toString(pidsMax));
            }
        } catch (IOException e) {
            cell.close();
            throw new IOException("setting limits of " + envId + ": " + e.getMessage(), e);
        }
        return cell;
    }

    /**
     * Creates the environment's private /tmp of {@code sizeMb} in {@code envDir}. Blocking. The image
     * is sparse, so it is checked against the free disk: a /tmp that could not be filled would fail
     * other environments' writes, not this one's. Throws {@link NoRoomException} without the room.
     */
    public TmpVolume createTmp(Cell cell, Path envDir, int sizeMb) throws IOException {
        if (tmpKind == TmpVolume.Kind.DISK) {
            long free = Files.getFileStore(envDir).getUsableSpace();
            long needed = (long) sizeMb * 1024 * 1024;
            if (free - needed < RESERVED_DISK_BYTES) {
                throw new NoRoomException("a /tmp of " + sizeMb + " MB needs that much free disk beside "
                        + RESERVED_DISK_BYTES / (1024 * 1024) + " MB kept free; " + free / (1024 * 1024) + " MB are free");
            }
        }
        return switch (tmpKind) {
            case DISK -> tmpImages.take(envDir.resolve("tmp.img"), sizeMb);
            case TMPFS -> TmpVolume.tmpfs(sizeMb);
            case TMPDIR -> TmpVolume.tmpdir(tmpDirs.resolve(cell.id()), cell.uid());
        };
    }

    /**
     * Starts {@code command} as the runtime of the cell. With private mounts, the returned process is
     * the launcher, which dies with the worker and exits with the runtime's status; its child, the
     * environment's init, is pid 1 of a new PID namespace and joins the cgroups, mounts the /tmp, the
     * code at {@link #taskRoot} and a managed runtime's files ({@code runtime}, may be null) at
     * {@link #runtimeRoot} read-only, becomes the environment's user, and starts the command; when
     * the init dies the kernel kills the whole namespace. Without private mounts the launcher execs
     * the command itself. Its stdout and stderr go to {@code output} (an {@link OutputPump.Output}'s
     * pipe); {@code envDir} is the environment's own directory. See floe-env-launch.c.
     */
    public Process launch(Cell cell, TmpVolume tmp, Path code, Path runtime, List<String> command,
                          Map<String, String> environment, Path envDir, Redirect output) throws IOException {
        Map<String, String> runtimeEnvironment = new java.util.LinkedHashMap<>(environment);
        runtimeEnvironment.putAll(tmp.environment());
        Path environmentFile = envDir.resolve("environment");
        List<String> argv = new ArrayList<>(launcher);
        argv.addAll(writableFlags);
        Path lang = tmpKind == TmpVolume.Kind.TMPDIR ? null : hiddenInstallation(Path.of(command.getFirst()));
        if (lang != null) {
            // Its private /tmp would hide the interpreter: it runs from /var/lang instead.
            argv.add("--lang");
            argv.add(lang.toString());
            List<String> moved = new ArrayList<>(command);
            moved.set(0, LANG_ROOT.resolve(lang.relativize(Path.of(command.getFirst()).toRealPath())).toString());
            command = moved;
        }
        argv.add(cell.procsFiles().stream().map(Path::toString).collect(Collectors.joining(":")));
        argv.addAll(tmp.launcherArguments());
        argv.add(code.toString());
        argv.add(taskRoot(code).toString());
        argv.add(runtime == null || tmpKind == TmpVolume.Kind.TMPDIR ? "" : runtime.toString());
        argv.add(Long.toString(cell.uid()));
        boolean nativeLauncher = launcher.size() == 1;
        argv.add(nativeLauncher ? environmentFile.toString() : "-");
        argv.add("--");
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory(code.toFile())
                .redirectInput(Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(output)
                .redirectErrorStream(true);
        builder.environment().clear();
        if (nativeLauncher) {
            // The launcher runs with this alone; the function's variables reach only the runtime, through the file.
            builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            writeEnvironment(environmentFile, runtimeEnvironment);
        } else {
            // Only for a worker that is not root: nothing runs with more privilege than the function.
            writeEnvironment(null, runtimeEnvironment);
            builder.environment().putAll(runtimeEnvironment);
        }
        try {
            Process process = spawner.submit(builder::start).get();
            cell.started(process.pid(), nativeLauncher && tmpKind != TmpVolume.Kind.TMPDIR);
            return process;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while launching " + cell.id(), e);
        }
    }

    /** The ids of the environments that have cgroups under this worker's, in any hierarchy. Blocking. */
    public Set<String> cellIds() {
        return tree.cellIds();
    }

    /** Kills every process in the cgroups of environment {@code envId} and removes them. Blocking. */
    public void removeCell(String envId) {
        tree.removeCell(envId);
    }

    /** The name of a worker's cgroup subtree, {@code <worker id>-<hash of its data directory>}, in every hierarchy. */
    public static String cgroupName(String workerId, Path dataDir) {
        return CgroupTree.cgroupName(workerId, dataDir);
    }

    /**
     * The installation {@code program} belongs to (the directory above its {@code bin}, else its own
     * directory) when the environment's private mounts would hide it; null when it stays in sight.
     */
    private static Path hiddenInstallation(Path program) {
        Path real;
        try {
            real = program.toRealPath();
        } catch (IOException e) {
            return null; // the launcher says it cannot start it
        }
        if (PRIVATE_PLACES.stream().noneMatch(real::startsWith)) {
            return null;
        }
        Path dir = real.getParent();
        return dir.getFileName() != null && dir.getFileName().toString().equals("bin") && dir.getParent().getNameCount() > 1
                ? dir.getParent() : dir;
    }

    /** The writable directories, real and checked: existing directories outside the places an environment has its own. */
    private static List<Path> checkWritable(List<Path> dirs) throws IOException {
        List<Path> checked = new ArrayList<>();
        for (Path dir : dirs) {
            if (!dir.isAbsolute() || !Files.isDirectory(dir)) {
                throw new IOException("writable: " + dir + " (expected: an absolute path to an existing directory)");
            }
            Path real = dir.toRealPath();
            if (real.getNameCount() == 0 || PRIVATE_PLACES.stream().anyMatch(real::startsWith)) {
                throw new IOException("writable: " + dir + " (expected: a directory outside /, /tmp, /var/tmp and /dev/shm,"
                        + " which environments have of their own)");
            }
            checked.add(real);
        }
        return checked;
    }

    /** Removes the worker's cgroups; environments must be retired first. */
    @Override
    public void close() {
        outputs.close();
        spawner.shutdown();
        try {
            tmpImages.close();
            formatter.shutdownNow();
            spawner.awaitTermination(5, TimeUnit.SECONDS);
            formatter.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove the ready /tmp images: " + e.getMessage());
        }
        tree.removeLeftovers();
        tree.remove();
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }









    /**
     * The runtime's variables for the native launcher ({@link EnvironmentFile}), or, with {@code file}
     * null, only checked the same way; a variable no launcher can carry whole refuses the start.
     */
    private static void writeEnvironment(Path file, Map<String, String> environment) throws IOException {
        try {
            if (file == null) {
                EnvironmentFile.encode(environment);
            } else {
                EnvironmentFile.write(file, environment);
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot start the runtime with its variables: " + e.getMessage(), e);
        }
    }

    /** A directory others may pass through but not list: for the environments' own directories inside it. */
    private static Path traversableDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        return dir;
    }

    /**
     * How the worker's code directory is protected: the worker's alone where environments see their
     * code through a mount made as root, else passable (but not listable) so they reach their own by path.
     */
    public java.util.Set<java.nio.file.attribute.PosixFilePermission> codeDirectoryPermissions() {
        return PosixFilePermissions.fromString(tmpKind == TmpVolume.Kind.TMPDIR ? "rwx--x--x" : "rwx------");
    }

    private static Path privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }








    @Override
    public String toString() {
        return "Sandbox" + info();
    }
}
