package dev.floe.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9: nothing of an environment outlives its worker, and what a dead worker's launchers could
 * not remove, the next worker on the machine (or {@code floe worker --cleanup}) does, whatever its id
 * and data directory, without touching a live worker's. Workers here are real processes
 * ({@link HeldEnvironments}) killed with SIGKILL.
 */
class WorkerDeathTest {
    private final List<Process> holders = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    /** The tests' own registry: workers of other tests on the machine neither see nor clean these. */
    private WorkerRegistry registry;

    @BeforeEach
    void needsNamespaces() throws IOException {
        registry = new WorkerRegistry(dir("registry"));
        Path data = dir("probe");
        try (Sandbox probe = Sandbox.open("probe-" + UUID.randomUUID().toString().substring(0, 6), data,
                Sandbox.Options.defaults())) {
            Assumptions.assumeTrue(probe.info().launcher().equals("native") && !probe.info().tmp().equals("tmpdir"),
                    "environments get PID namespaces only from the native launcher run as root: " + probe.info());
        }
    }

    @AfterEach
    void stop() {
        holders.forEach(Process::destroyForcibly);
        for (Process holder : holders) {
            holder.onExit().join();
        }
        Sandbox.removeLeftoversOfDeadWorkers(registry);
        for (Path dir : dirs) {
            TestDirs.delete(dir);
            try {
                Files.deleteIfExists(dir.resolveSibling(dir.getFileName() + ".out"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void aWorkerKilledWithSigkillLeavesNoProcessMountLoopDeviceOrCgroup() throws Exception {
        Path data = dir("dying");
        String id = "dying-" + UUID.randomUUID().toString().substring(0, 6);
        String marker = Sandbox.cgroupName(id, data);
        Process worker = hold(id, data, 3);
        int running = Processes.mentioning(marker).size();
        assertTrue(running >= 3 * 4, "each environment's init, runtime and two background processes: " + running);
        assertEquals(3, loopDevicesUnder(data).size(), "each environment's /tmp image on a loop device");

        long[] processesGone = {0};
        worker.destroyForcibly();
        long killed = System.nanoTime();
        worker.onExit().join();
        try {
            Await.until(Duration.ofSeconds(2), "no process, loop device or cgroup of the killed worker's environments",
                    () -> {
                        boolean none = Processes.mentioning(marker).isEmpty();
                        if (none && processesGone[0] == 0) {
                            processesGone[0] = System.nanoTime();
                        }
                        return none && loopDevicesUnder(data).isEmpty() && cgroupsNamed(marker).isEmpty();
                    });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; processes " + Processes.mentioning(marker).stream().map(Processes::describe).toList()
                    + ", loop devices " + loopDevicesUnder(data) + ", cgroups " + cgroupsNamed(marker), e);
        }
        System.out.printf("worker SIGKILLed with 3 environments: nothing left after %d ms (processes gone after %d ms)%n",
                (System.nanoTime() - killed) / 1_000_000, (processesGone[0] - killed) / 1_000_000);
        assertTrue(Processes.mentioning(data.toString()).isEmpty(), "not even one holding the data directory");

        // A worker with another id and data directory removes the dead one's files and serves.
        Path next = dir("next");
        String nextId = "next-" + UUID.randomUUID().toString().substring(0, 6);
        assertTrue(Files.list(data.resolve("envs")).findAny().isPresent(), "the dead worker's environments' files are there");
        Process successor = hold(nextId, next, 1);
        assertEquals(List.of(), Files.list(data.resolve("envs")).toList(), "and gone once another worker started");
        assertTrue(Processes.mentioning(Sandbox.cgroupName(nextId, next)).size() >= 4, "the new worker serves");
        successor.destroyForcibly();
    }

    @Test
    void whatADeadWorkersLaunchersCouldNotRemoveTheNextCleanupDoesAndLiveWorkersAreLeftAlone() throws Exception {
        Path liveData = dir("live");
        String liveId = "live-" + UUID.randomUUID().toString().substring(0, 6);
        Process live = hold(liveId, liveData, 1);
        String liveMarker = Sandbox.cgroupName(liveId, liveData);
        int liveProcesses = Processes.mentioning(liveMarker).size();

        Path deadData = dir("dead");
        String deadId = "dead-" + UUID.randomUUID().toString().substring(0, 6);
        String deadMarker = Sandbox.cgroupName(deadId, deadData);
        Process dead = hold(deadId, deadData, 2);
        // The worker and its launchers die together (a whole-tree kill): the kernel still kills every
        // environment process, but no launcher is left to remove the cgroups.
        List<ProcessHandle> children = dead.children().toList();
        long launchers = children.stream()
                .filter(child -> child.info().command().map(command -> command.contains("floe-env-launch")).orElse(false)).count();
        assertEquals(2, launchers, "one launcher per environment (beside, perhaps, a /tmp image being formatted)");
        children.forEach(ProcessHandle::destroyForcibly);
        dead.destroyForcibly();
        dead.onExit().join();
        Await.until(Duration.ofSeconds(2), "the environments' processes die with their launchers",
                () -> Processes.mentioning(deadMarker).isEmpty());
        assertTrue(!cgroupsNamed(deadMarker).isEmpty(), "their cgroups are left");

        int removed = Sandbox.removeLeftoversOfDeadWorkers(registry);

        assertTrue(removed >= 2, "the two environments of the dead worker are removed: " + removed);
        assertEquals(List.of(), cgroupsNamed(deadMarker), "with their cgroups");
        assertEquals(List.of(), Files.list(deadData.resolve("envs")).toList(), "and their files");
        assertEquals(liveProcesses, Processes.mentioning(liveMarker).size(), "the live worker's environment runs on");
        assertTrue(!cgroupsNamed(liveMarker).isEmpty(), "in its cgroups");
        assertTrue(live.isAlive());
    }

    private Process hold(String id, Path data, int environments) throws IOException {
        Path out = data.resolveSibling(data.getFileName() + ".out");
        Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HeldEnvironments.class.getName(), id, data.toString(), Integer.toString(environments), registry.dir().toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        holders.add(process);
        Await.until(Duration.ofSeconds(60), "worker " + id + " holds its environments", () -> {
            if (!process.isAlive()) {
                throw new AssertionError("worker " + id + " ended: " + read(out));
            }
            return read(out).contains("ready");
        });
        return process;
    }

    private Path dir(String prefix) {
        Path dir = TestDirs.create("worker-death-" + prefix);
        dirs.add(dir);
        return dir;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Loop devices whose backing file is under {@code dir}. */
    static List<String> loopDevicesUnder(Path dir) {
        List<String> devices = new ArrayList<>();
        try (Stream<Path> blocks = Files.list(Path.of("/sys/block"))) {
            for (Path block : blocks.toList()) {
                String backing = read(block.resolve("loop/backing_file")).trim();
                if (backing.startsWith(dir.toString())) {
                    devices.add(block.getFileName() + " " + backing);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return devices;
    }

    /** Cgroup directories named {@code name} in any hierarchy. */
    static List<Path> cgroupsNamed(String name) {
        try (Stream<Path> found = Files.find(Path.of("/sys/fs/cgroup"), 6,
                (path, attributes) -> attributes.isDirectory() && path.getFileName().toString().equals(name))) {
            return found.toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(Path.of("unreadable: " + e.getMessage()));
        }
    }
}
