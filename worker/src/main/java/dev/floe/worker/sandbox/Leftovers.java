package dev.floe.worker.sandbox;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Removes what workers that ended without cleaning up left on the machine: their environments'
 * processes and cgroups, loop devices still holding their /tmp images, and their finished
 * environments' directories. Which workers are dead is decided by the {@link WorkerRegistry} alone
 * (a free lock), never by names. A worker subtree under a {@code floe} directory that no entry names
 * loses only its empty cgroups.
 */
final class Leftovers {
    private static final System.Logger LOG = System.getLogger(Leftovers.class.getName());

    /** The directories of a data directory that hold environments' files; none of them outlives its worker. */
    static final List<String> ENVIRONMENT_DIRS = List.of("envs", "tmp-images", "tmpdirs");

    private Leftovers() {}

    /**
     * Removes the leftovers of every dead worker in {@code registry}, and the empty cgroups of worker
     * subtrees no entry names under the {@code floe} directories in {@code floeDirs} (none: only what
     * entries list). Returns how many environments (cgroups) were removed.
     */
    static int removeDead(WorkerRegistry registry, Collection<Path> floeDirs) {
        int[] removed = {0};
        registry.cleanDead(entry -> {
            Set<Path> liveData = liveDataDirs(registry);
            removed[0] += remove(entry, liveData);
        });
        Set<String> live = new java.util.HashSet<>();
        for (WorkerRegistry.Entry entry : registry.live()) {
            live.add(entry.name());
        }
        for (Path floe : floeDirs) {
            for (Path base : children(floe)) {
                if (!live.contains(base.getFileName().toString())) {
                    removed[0] += removeEmptyCgroups(base);
                }
            }
        }
        return removed[0];
    }

    /** Removes what a dead worker's entry lists; its data directory's environments unless a live worker uses it. */
    static int remove(WorkerRegistry.Entry entry, Set<Path> liveDataDirs) {
        LOG.log(System.Logger.Level.INFO, "removing the leftovers of worker " + entry.name() + ", which is not running");
        int removed = 0;
        // The v1 freezer first: its frozen tasks die only once it thaws them.
        List<Path> bases = new ArrayList<>(entry.cgroupBases());
        bases.sort(Comparator.comparing(base -> !Files.exists(base.resolve("freezer.state"))
                && !base.toString().contains("freezer")));
        for (Path base : bases) {
            removed += removeCgroups(base);
        }
        if (entry.dataDir() != null && !liveDataDirs.contains(entry.dataDir())) {
            detachLoops(entry.dataDir());
            removeEnvironmentDirs(entry.dataDir());
        }
        return removed;
    }

    /** Kills every environment cgroup under {@code base}, removes them, then the base (and its floe directory if empty). */
    static int removeCgroups(Path base) {
        int removed = 0;
        for (Path child : children(base)) {
            Cell leftover = cellOf(child);
            leftover.killAll();
            leftover.close();
            removed++;
        }
        try {
            Files.deleteIfExists(base);
            Path floe = base.getParent();
            if (floe != null && children(floe).isEmpty()) {
                Files.deleteIfExists(floe);
            }
        } catch (IOException busy) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + base + ": " + busy.getMessage());
        }
        return removed;
    }

    /**
     * Removes the empty environment cgroups of a worker subtree no registry entry names (its launchers
     * removed their environments' processes, but not the directories), then the subtree if empty.
     * One with processes is left alone: without an entry there is no telling whether its worker
     * (one of an older Floe, say) is running.
     */
    static int removeEmptyCgroups(Path base) {
        int removed = 0;
        for (Path child : children(base)) {
            if (!settled(child)) {
                continue; // a running worker may be about to start an environment in it
            }
            Cell leftover = cellOf(child);
            if (leftover.isEmpty()) {
                leftover.close();
                removed++;
            } else {
                LOG.log(System.Logger.Level.WARNING, "leaving " + child + " alone: it has processes and no registered worker");
            }
        }
        try {
            if (settled(base)) {
                Files.deleteIfExists(base);
            }
        } catch (IOException notEmpty) {
            // environments left alone above
        }
        return removed;
    }

    /** Whether a cgroup directory was last changed (created, or a child added or removed) a minute ago or more. */
    private static boolean settled(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant().isBefore(java.time.Instant.now().minusSeconds(60));
        } catch (IOException gone) {
            return false;
        }
    }

    /** The files of finished environments in a data directory: logs, /tmp images, private TMPDIRs. */
    static void removeEnvironmentDirs(Path dataDir) {
        for (String name : ENVIRONMENT_DIRS) {
            for (Path dir : children(dataDir.resolve(name))) {
                try {
                    dev.floe.common.FileTrees.delete(dir);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir + ": " + e.getMessage());
                }
            }
            try (Stream<Path> files = Files.list(dataDir.resolve(name))) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                // no such directory
            }
        }
    }

    /** Detaches loop devices whose backing file is under {@code dataDir} (a /tmp image of a dead environment). */
    static void detachLoops(Path dataDir) {
        for (Path device : children(Path.of("/sys/block"))) {
            Path backing = device.resolve("loop/backing_file");
            try {
                String file = Files.readString(backing).trim().replaceFirst(" \\(deleted\\)$", "");
                if (Path.of(file).startsWith(dataDir)) {
                    String node = "/dev/" + device.getFileName();
                    LOG.log(System.Logger.Level.INFO, "detaching " + node + " from " + file);
                    Process detach = new ProcessBuilder("losetup", "-d", node).redirectErrorStream(true)
                            .redirectOutput(Redirect.DISCARD).start();
                    detach.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException | RuntimeException notLoop) {
                // not a loop device, or not attached
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static Set<Path> liveDataDirs(WorkerRegistry registry) {
        Set<Path> dirs = new java.util.HashSet<>();
        for (WorkerRegistry.Entry entry : registry.live()) {
            if (entry.dataDir() != null) {
                dirs.add(entry.dataDir());
            }
        }
        return dirs;
    }

    /** A cell over a leftover cgroup directory, in whichever hierarchy it is. */
    private static Cell cellOf(Path dir) {
        String id = dir.getFileName().toString();
        if (Files.exists(dir.resolve("freezer.state"))) {
            return new Cell(id, null, dir, null, null, Cell.MemoryControl.NONE);
        }
        if (Files.exists(dir.resolve("cgroup.freeze"))) {
            return new Cell(id, dir, null, null, null, Cell.MemoryControl.NONE);
        }
        return new Cell(id, null, null, null, dir, Cell.MemoryControl.NONE);
    }

    private static List<Path> children(Path dir) {
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
