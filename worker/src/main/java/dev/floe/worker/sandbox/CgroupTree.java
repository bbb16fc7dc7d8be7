package dev.floe.worker.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A worker's cgroup subtree: {@code <the worker's own cgroup>/floe/<worker id>-<hash of its data
 * directory>} in each hierarchy it uses (null where it uses none), with one directory per
 * environment below. Unique to one worker even if two fleets on a machine reuse worker ids.
 */
record CgroupTree(Path unified, Path v1Freezer, Path v1Memory, Path v1Pids) {
    private static final System.Logger LOG = System.getLogger(CgroupTree.class.getName());

    /** What a worker's sandbox uses of the machine's cgroups: its subtrees, its freezer, its memory and process limits. */
    record Chosen(CgroupTree tree, FreezeDriver driver, Cell.MemoryControl memory, int pidsMax) {}

    /**
     * Creates the worker's subtree {@code leaf} in each hierarchy it uses, as {@code options} asks and
     * the machine allows; fails with a message saying what is missing when an explicitly chosen
     * freezer is unavailable.
     */
    static Chosen choose(CgroupMounts mounts, String leaf, Sandbox.Options options) throws IOException {
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
        return new Chosen(new CgroupTree(unified, v1Freezer, v1Memory, v1Pids), driver, memory,
                unifiedPids || v1Pids != null ? options.pidsMax() : 0);
    }

    /** Creates the environment's directory in each hierarchy; nulls where the worker uses none. */
    Path[] makeCell(String envId) throws IOException {
        return new Path[] {makeCgroup(unified, envId), makeCgroup(v1Freezer, envId), makeCgroup(v1Memory, envId),
                makeCgroup(v1Pids, envId)};
    }

    /** Removes the worker's subtrees (empty by now), and the floe directories they leave empty. */
    void remove() {
        for (Path base : bases()) {
            removeBase(base);
        }
    }

    /** The ids of the environments that have cgroups under this worker's, in any hierarchy. Blocking. */
    Set<String> cellIds() {
        Set<String> ids = new java.util.TreeSet<>();
        for (Path base : bases()) {
            try (Stream<Path> children = Files.list(base)) {
                children.filter(Files::isDirectory).forEach(child -> ids.add(child.getFileName().toString()));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot list " + base + ": " + e.getMessage());
            }
        }
        return ids;
    }

    /** Kills every process in the cgroups of environment {@code envId} and removes them. Blocking. */
    void removeCell(String envId) {
        Cell stray = new Cell(envId, child(unified, envId), child(v1Freezer, envId), child(v1Memory, envId),
                child(v1Pids, envId), Cell.MemoryControl.NONE);
        stray.killAll();
        stray.close();
    }

    static Path child(Path base, String name) {
        return base == null || !Files.isDirectory(base.resolve(name)) ? null : base.resolve(name);
    }

    /** Kills and removes environments a previous run of this worker left behind. */
    void removeLeftovers() {
        // The v1 freezer first: its frozen tasks only die once it thaws them.
        for (Path base : new Path[] {v1Freezer, unified, v1Memory, v1Pids}) {
            if (base == null) {
                continue;
            }
            try (Stream<Path> children = Files.list(base)) {
                for (Path child : children.filter(Files::isDirectory).toList()) {
                    String id = child.getFileName().toString();
                    LOG.log(System.Logger.Level.INFO, "removing leftover environment cgroup " + child);
                    Cell leftover = new Cell(id, base == unified ? child : null, base == v1Freezer ? child : null,
                            base == v1Memory ? child : null, base == v1Pids ? child : null, Cell.MemoryControl.NONE);
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

    static Path makeCgroup(Path base, String envId) throws IOException {
        if (base == null) {
            return null;
        }
        Path dir = base.resolve(envId);
        Files.createDirectory(dir);
        return dir;
    }

    /** Creates {@code own/leaf}; null when the hierarchy is not writable here. */
    static Path tryBase(Path own, String leaf) {
        try {
            return Files.createDirectories(own.resolve(leaf));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    static void removeBase(Path base) {
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
    static List<String> enableControllers(Path base, List<String> wanted) {
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

    /** The {@code floe} directories under this process's cgroups, where workers' subtrees are. */
    static List<Path> floeDirs(CgroupMounts mounts) {
        List<Path> dirs = new ArrayList<>();
        mounts.unifiedOwn().ifPresent(own -> dirs.add(own.resolve("floe")));
        for (String controller : List.of("freezer", "memory", "pids")) {
            mounts.v1Own(controller).ifPresent(own -> dirs.add(own.resolve("floe")));
        }
        return dirs;
    }

    List<Path> bases() {
        List<Path> bases = new ArrayList<>();
        for (Path base : new Path[] {v1Freezer, unified, v1Memory, v1Pids}) {
            if (base != null) {
                bases.add(base);
            }
        }
        return bases;
    }

    static void writeIfPresent(Path file, String value) throws IOException {
        if (Files.exists(file)) {
            CgroupFiles.write(file, value);
        }
    }
}
