package dev.floe.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Finding our own cgroups on hybrid, pure v2 and containerized machines. */
class CgroupMountsTest {

    @Test
    void aHybridMachineHasV1ControllersAndTheUnifiedHierarchy() {
        CgroupMounts mounts = CgroupMounts.parse(List.of(
                "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory",
                "37 25 0:32 / /sys/fs/cgroup/freezer rw,relatime shared:14 - cgroup cgroup rw,freezer",
                "38 25 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct",
                "39 25 0:34 / /sys/fs/cgroup/unified rw,relatime shared:16 - cgroup2 cgroup2 rw"),
                List.of("4:memory:/process_api/abc", "6:freezer:/", "2:cpu,cpuacct:/", "0::/"));

        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/unified")), mounts.unifiedOwn());
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/memory/process_api/abc")), mounts.v1Own("memory"));
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/freezer")), mounts.v1Own("freezer"));
        assertTrue(mounts.v1Own("pids").isEmpty());
    }

    @Test
    void aPureV2MachineNestsUnderTheProcessesOwnCgroup() {
        CgroupMounts mounts = CgroupMounts.parse(
                List.of("30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"),
                List.of("0::/system.slice/floe.service"));

        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/system.slice/floe.service")), mounts.unifiedOwn());
        assertTrue(mounts.v1().isEmpty());
    }

    @Test
    void aContainerSeesItsCgroupAsTheRootOfTheMount() {
        CgroupMounts mounts = CgroupMounts.parse(
                List.of("600 590 0:26 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw"),
                List.of("0::/docker/abc/inner"));

        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/inner")), mounts.unifiedOwn());
    }
}
