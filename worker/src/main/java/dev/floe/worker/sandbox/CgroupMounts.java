package dev.floe.worker.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where this process sits in each cgroup hierarchy the machine mounts: the v2 unified hierarchy and
 * the v1 controllers (freezer, memory, pids), read from {@code /proc/self/mountinfo} and
 * {@code /proc/self/cgroup}. Floe nests its cgroups under the worker's own, so whatever limits the
 * worker also limits its environments.
 */
record CgroupMounts(Optional<Path> unified, Map<String, Path> v1) {

    /** The directory of this process's cgroup in the v2 hierarchy, if one is mounted. */
    Optional<Path> unifiedOwn() {
        return unified;
    }

    Optional<Path> v1Own(String controller) {
        return Optional.ofNullable(v1.get(controller));
    }

    static CgroupMounts detect() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")),
                    Files.readAllLines(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return new CgroupMounts(Optional.empty(), Map.of());
        }
    }

    /** Parses mountinfo and cgroup membership lines into the directories of this process's cgroups. */
    static CgroupMounts parse(List<String> mountinfo, List<String> membership) {
        Map<String, String> ownByController = new HashMap<>();
        String ownUnified = null;
        for (String line : membership) {
            String[] parts = line.split(":", 3);
            if (parts.length != 3) {
                continue;
            }
            if (parts[0].equals("0") && parts[1].isEmpty()) {
                ownUnified = parts[2];
            } else {
                for (String controller : parts[1].split(",")) {
                    ownByController.put(controller, parts[2]);
                }
            }
        }
        Optional<Path> unified = Optional.empty();
        Map<String, Path> v1 = new HashMap<>();
        for (String line : mountinfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) {
                continue;
            }
            String root = pre[3];
            String mountPoint = pre[4].replace("\\040", " ");
            String fsType = post[0];
            if (fsType.equals("cgroup2") && ownUnified != null && unified.isEmpty()) {
                unified = Optional.of(own(mountPoint, root, ownUnified));
            } else if (fsType.equals("cgroup")) {
                for (String option : post[2].split(",")) {
                    String own = ownByController.get(option);
                    if (own != null && (option.equals("freezer") || option.equals("memory") || option.equals("pids"))) {
                        v1.putIfAbsent(option, own(mountPoint, root, own));
                    }
                }
            }
        }
        return new CgroupMounts(unified, Map.copyOf(v1));
    }

    /** The mount shows the hierarchy from {@code root} down; our cgroup path is from the hierarchy's top. */
    private static Path own(String mountPoint, String root, String ownPath) {
        String relative = ownPath;
        if (!root.equals("/") && relative.startsWith(root)) {
            relative = relative.substring(root.length());
        }
        Path path = Path.of(mountPoint);
        for (String segment : relative.split("/")) {
            if (!segment.isEmpty()) {
                path = path.resolve(segment);
            }
        }
        return path;
    }
}
