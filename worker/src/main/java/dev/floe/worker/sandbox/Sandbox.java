package dev.floe.worker.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The machine's means of holding environments, found once when a worker starts: which freezer,
 * which memory limit, which kind of /tmp. It creates a {@link Cell} and a {@link TmpVolume} per
 * environment and launches runtimes into them. Its cgroups live under
 * {@code <worker's own cgroup>/floe/<worker id>-<hash of its data directory>/<environment id>} in each
 * hierarchy it uses: unique to one worker even if two fleets on a machine reuse worker ids. Leftovers of
 * a previous run of the same worker on the same data (one that was killed) are killed and removed
 * when it opens.
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

    private final Path unifiedBase;
    private final Path v1FreezerBase;
    private final Path v1MemoryBase;
    private final Path v1PidsBase;
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
    private final OutputPump outputs;
    /** Directories every function may write; the launcher's flags for them, empty without a mount namespace. */
    private final List<String> writableFlags;

    private Sandbox(Path unifiedBase, Path v1FreezerBase, Path v1MemoryBase, Path v1PidsBase, Cell.MemoryControl memory,
                    FreezeDriver freezeDriver, TmpVolume.Kind tmpKind, int pidsMax, List<String> launcher, String workerId,
                    Path dataDir) throws IOException {
        this.unifiedBase = unifiedBase;
        this.v1FreezerBase = v1FreezerBase;
        this.v1MemoryBase = v1MemoryBase;
        this.v1PidsBase = v1PidsBase;
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
        this.users = isRoot() ? UserIds.PROCESS : null;
        this.tmpDirs = tmpKind == TmpVolume.Kind.TMPDIR ? traversableDirectory(dataDir.resolve("tmpdirs")) : null;
        this.outputs = new OutputPump(workerId);
        this.writableFlags = new ArrayList<>();
    }

    /**
     * Finds the machine's mechanisms and prepares the worker's cgroups. Fails with a message saying
     * what is missing when an explicitly chosen mechanism is unavailable.
     */
    public static Sandbox open(String workerId, Path dataDir, Options options) throws IOException {
        CgroupMounts mounts = CgroupMounts.detect();
        String leaf = "floe/" + cgroupName(workerId, dataDir);
        Path unified = mounts.unifiedOwn().map(own -> tryBase(own, leaf)).orElse(null);
        if (unified != null && !Files.exists(unified.resolve("cgroup.freeze"))) {
            removeBase(unified);
            unified = null;
        }
        Path v1Freezer = null;
        FreezeDriver driver = switch (options.freezer()) {
            case CGROUP2 -> {
                if (unified == null) {
                    throw new IOException("freezer cgroup2 asked for, but no writable cgroup v2 hierarchy with cgroup.freeze was found");
                }
                yield FreezeDriver.cgroup2();
            }
            case CGROUP1 -> {
                v1Freezer = mounts.v1Own("freezer").map(own -> tryBase(own, leaf)).orElse(null);
                if (v1Freezer == null) {
                    throw new IOException("freezer cgroup1 asked for, but no writable cgroup v1 freezer hierarchy was found");
                }
                yield FreezeDriver.cgroup1();
            }
            case SIGNAL -> FreezeDriver.signal();
            case AUTO -> {
                if (unified != null) {
                    yield FreezeDriver.cgroup2();
                }
                v1Freezer = mounts.v1Own("freezer").map(own -> tryBase(own, leaf)).orElse(null);
                yield v1Freezer != null ? FreezeDriver.cgroup1() : FreezeDriver.signal();
            }
        };

        Cell.MemoryControl memory = Cell.MemoryControl.NONE;
        Path v1Memory = null;
        Path v1Pids = null;
        boolean unifiedPids = false;
        if (unified != null) {
            List<String> enabled = enableControllers(unified, List.of("memory", "pids"));
            if (options.memoryLimits() && enabled.contains("memory")) {
                memory = Cell.MemoryControl.CGROUP2;
            }
            unifiedPids = enabled.contains("pids");
        }
        if (options.memoryLimits() && memory == Cell.MemoryControl.NONE) {
            v1Memory = mounts.v1Own("memory").map(own -> tryBase(own, leaf)).orElse(null);
            if (v1Memory != null) {
                memory = Cell.MemoryControl.CGROUP1;
            }
        }
        if (!unifiedPids && options.pidsMax() > 0) {
            v1Pids = mounts.v1Own("pids").map(own -> tryBase(own, leaf)).orElse(null);
        }

        Path bin = Files.createDirectories(dataDir.resolve("bin"));
        List<String> launcher = installLauncher(bin, options.launcher());
        if (launcher.size() > 1 && isRoot()) {
            // The script cannot keep the function's variables away from the programs it runs as root.
            throw new IOException("a worker running as root starts environments with the native launcher, which this"
                    + " machine cannot run (build Floe where a C compiler is installed, for " + System.getProperty("os.arch")
                    + "), or run the worker as an unprivileged user");
        }
        TmpVolume.Kind tmp = chooseTmp(options.tmp());
        if (tmp != TmpVolume.Kind.TMPDIR) {
            // The mount point of every environment's code; empty on the machine itself.
            Files.createDirectories(TASK_ROOT);
            Files.createDirectories(RUNTIME_ROOT);
            Files.createDirectories(LANG_ROOT);
        }
        List<Path> writable = checkWritable(options.writable());
        if (tmp != TmpVolume.Kind.TMPDIR && underTmp(dataDir)) {
            // A private /tmp mounted in the environment would hide the worker's data there, code included.
            if (options.tmp() != TmpChoice.AUTO) {
                throw new IOException("tmp " + options.tmp().name().toLowerCase() + " needs a data directory outside /tmp (got "
                        + dataDir + ")");
            }
            LOG.log(System.Logger.Level.WARNING, "the data directory " + dataDir + " is under /tmp, so environments get a"
                    + " private TMPDIR instead of their own /tmp; use a data directory outside /tmp (e.g. under /var/tmp)");
            tmp = TmpVolume.Kind.TMPDIR;
        }
        Sandbox sandbox = new Sandbox(unified, v1Freezer, v1Memory, v1Pids, memory, driver, tmp,
                unifiedPids || v1Pids != null ? options.pidsMax() : 0, launcher, workerId, dataDir);
        if (tmp != TmpVolume.Kind.TMPDIR) {
            for (Path dir : writable) {
                sandbox.writableFlags.add("--writable");
                sandbox.writableFlags.add(dir.toString());
            }
        }
        sandbox.removeLeftovers();
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
        Path unified = makeCgroup(unifiedBase, envId);
        Path freezer = makeCgroup(v1FreezerBase, envId);
        Path mem = makeCgroup(v1MemoryBase, envId);
        Path pids = makeCgroup(v1PidsBase, envId);
        Cell cell = users == null ? new Cell(envId, unified, freezer, mem, pids, memory)
                : new Cell(envId, unified, freezer, mem, pids, memory, users.allocate(), users);
        try {
            long bytes = (long) memoryMb * 1024 * 1024;
            switch (memory) {
                case CGROUP2 -> {
                    CgroupFiles.write(unified.resolve("memory.max"), Long.toString(bytes));
                    writeIfPresent(unified.resolve("memory.swap.max"), "0");
                }
                case CGROUP1 -> {
                    CgroupFiles.write(mem.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                    writeIfPresent(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
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
     * Starts {@code command} as the runtime of the cell: the launcher joins the cgroups, mounts the
     * /tmp, the code at {@link #taskRoot} and a managed runtime's files ({@code runtime}, may be null)
     * at {@link #runtimeRoot} read-only, becomes the environment's user, then execs the
     * command, so the returned process is the runtime itself. Its stdout and stderr go to {@code output}
     * (an {@link OutputPump.Output}'s pipe); {@code envDir} is the environment's own directory.
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
            cell.started(process.pid());
            return process;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while launching " + cell.id(), e);
        }
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
        removeLeftovers();
        for (Path base : new Path[] {unifiedBase, v1FreezerBase, v1MemoryBase, v1PidsBase}) {
            if (base != null) {
                removeBase(base);
            }
        }
    }

    /** Kills and removes environments a previous run of this worker left behind. */
    private void removeLeftovers() {
        // The v1 freezer first: its frozen tasks only die once it thaws them.
        for (Path base : new Path[] {v1FreezerBase, unifiedBase, v1MemoryBase, v1PidsBase}) {
            if (base == null) {
                continue;
            }
            try (Stream<Path> children = Files.list(base)) {
                for (Path child : children.filter(Files::isDirectory).toList()) {
                    String id = child.getFileName().toString();
                    LOG.log(System.Logger.Level.INFO, "removing leftover environment cgroup " + child);
                    Cell leftover = new Cell(id, base == unifiedBase ? child : null, base == v1FreezerBase ? child : null,
                            base == v1MemoryBase ? child : null, base == v1PidsBase ? child : null, Cell.MemoryControl.NONE);
                    leftover.killAll();
                    leftover.close();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot list " + base + ": " + e.getMessage());
            }
        }
    }

    /** The name of a worker's cgroup subtree, {@code <worker id>-<hash of its data directory>}, in every hierarchy. */
    public static String cgroupName(String workerId, Path dataDir) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(
                    dataDir.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return workerId + "-" + java.util.HexFormat.of().formatHex(digest, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path makeCgroup(Path base, String envId) throws IOException {
        if (base == null) {
            return null;
        }
        Path dir = base.resolve(envId);
        Files.createDirectory(dir);
        return dir;
    }

    /** Creates {@code own/leaf}; null when the hierarchy is not writable here. */
    private static Path tryBase(Path own, String leaf) {
        try {
            return Files.createDirectories(own.resolve(leaf));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void removeBase(Path base) {
        try {
            Files.deleteIfExists(base);
            Path floe = base.getParent();
            try (Stream<Path> rest = Files.list(floe)) {
                if (rest.noneMatch(Files::isDirectory)) {
                    Files.deleteIfExists(floe);
                }
            }
        } catch (IOException e) {
            // another worker's cgroups, or a busy one: leave it
        }
    }

    /**
     * Enables controllers for the environments below {@code base} where the parent already
     * delegates them; returns those now available to children of {@code base}.
     */
    private static List<String> enableControllers(Path base, List<String> wanted) {
        List<String> available = new ArrayList<>();
        try {
            String offered = CgroupFiles.read(base.getParent().resolve("cgroup.controllers"));
            for (String controller : wanted) {
                if (!(" " + offered + " ").contains(" " + controller + " ")) {
                    continue;
                }
                try {
                    CgroupFiles.write(base.getParent().resolve("cgroup.subtree_control"), "+" + controller);
                    CgroupFiles.write(base.resolve("cgroup.subtree_control"), "+" + controller);
                    available.add(controller);
                } catch (IOException e) {
                    // not delegated to us
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return available;
    }

    private static TmpVolume.Kind chooseTmp(TmpChoice choice) throws IOException {
        boolean mounts = canMount();
        boolean disk = mounts && Files.exists(Path.of("/dev/loop-control")) && onPath("mkfs.ext4");
        return switch (choice) {
            case DISK -> {
                if (!disk) {
                    throw new IOException("tmp disk asked for, but it needs root, /dev/loop-control and mkfs.ext4");
                }
                yield TmpVolume.Kind.DISK;
            }
            case TMPFS -> {
                if (!mounts) {
                    throw new IOException("tmp tmpfs asked for, but mounting in a private mount namespace is not permitted here");
                }
                yield TmpVolume.Kind.TMPFS;
            }
            case TMPDIR -> TmpVolume.Kind.TMPDIR;
            case AUTO -> disk ? TmpVolume.Kind.DISK : mounts ? TmpVolume.Kind.TMPFS : TmpVolume.Kind.TMPDIR;
        };
    }

    /** Whether this process may create a mount namespace and mount in it. */
    private static boolean canMount() {
        try {
            Process probe = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--",
                    "mount", "-t", "tmpfs", "-o", "size=1m", "floe-probe", "/mnt")
                    .redirectErrorStream(true).redirectOutput(Redirect.DISCARD).start();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
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

    /** Whether this process may switch users: only root may run environments as users of their own. */
    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static boolean underTmp(Path dir) {
        try {
            return dir.toRealPath().startsWith(Path.of("/tmp"));
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize().startsWith(Path.of("/tmp"));
        }
    }

    private static boolean onPath(String program) {
        for (String dir : Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", program)) || Files.isExecutable(Path.of("/sbin", program));
    }

    /** The launcher's command: the native program if it was built and runs here, else the shell script. */
    private static List<String> installLauncher(Path bin, LauncherChoice choice) throws IOException {
        if (choice != LauncherChoice.SCRIPT) {
            Path nativeLauncher = install(bin, "floe-env-launch-" + System.getProperty("os.arch"), "floe-env-launch");
            if (nativeLauncher != null && runs(nativeLauncher)) {
                return List.of(nativeLauncher.toString());
            }
            if (choice == LauncherChoice.NATIVE) {
                throw new IOException("launcher native asked for, but this worker was built without it or it does not run"
                        + " on this machine (" + System.getProperty("os.arch") + ")");
            }
        }
        Path script = install(bin, "floe-env-launch.sh", "floe-env-launch.sh");
        if (script == null) {
            throw new IOException("the launcher script is missing from the worker's jar");
        }
        return List.of("/bin/sh", script.toString());
    }

    /** Copies a resource to {@code bin/name}, executable; null if the jar lacks it. */
    private static Path install(Path bin, String resource, String name) throws IOException {
        try (InputStream in = Sandbox.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path target = bin.resolve(name);
            Path tmp = Files.createTempFile(bin, "launch", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        }
    }

    /** Whether a native launcher loads here: run without arguments, it prints its usage and exits 2. */
    private static boolean runs(Path program) {
        try {
            Process probe = new ProcessBuilder(program.toString()).redirectErrorStream(true)
                    .redirectOutput(Redirect.DISCARD).start();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 2;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void writeIfPresent(Path file, String value) throws IOException {
        if (Files.exists(file)) {
            CgroupFiles.write(file, value);
        }
    }

    @Override
    public String toString() {
        return "Sandbox" + info();
    }
}
