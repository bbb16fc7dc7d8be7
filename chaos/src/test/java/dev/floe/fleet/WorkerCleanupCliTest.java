package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.launcher.Floe;
import dev.floe.testing.TestDirs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code floe worker --cleanup} removes what a worker that is no longer running left on the machine
 * (here an entry in the machine's registry whose lock nobody holds, naming a cgroup subtree with an
 * environment's cgroup and a data directory with an environment's files), and says how many.
 */
class WorkerCleanupCliTest {

    @Test
    void cleanupRemovesADeadWorkersCgroupsAndFiles() throws Exception {
        Path registry = Path.of("/run/floe/workers");
        Path unified = Path.of("/sys/fs/cgroup/unified");
        Assumptions.assumeTrue(Files.isWritable(unified) && "root".equals(System.getProperty("user.name")),
                "needs root and a writable cgroup v2 hierarchy");
        String name = "cleanup-test-" + UUID.randomUUID().toString().substring(0, 8);
        Path base = Files.createDirectories(unified.resolve(name));
        Path environment = Files.createDirectory(base.resolve("env-1"));
        Path data = TestDirs.create("cleanup-cli");
        Path files = Files.createDirectories(data.resolve("envs").resolve("env-1"));
        Files.writeString(files.resolve("log"), "a finished environment's log\n");
        Files.createDirectories(registry);
        Path entry = registry.resolve(name + ".lock");
        Files.writeString(entry, "data " + data + "\ncgroup " + base + "\n");
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int status = Floe.cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()),
                    Map.of("HOME", data.toString())).run("worker", "--cleanup");
            String said = out.toString(StandardCharsets.UTF_8);

            assertEquals(0, status, said);
            assertTrue(said.matches("(?s)removed \\d+ environments? of workers no longer running on this machine\\s*"), said);
            assertFalse(Files.exists(environment), "the environment's cgroup is gone");
            assertFalse(Files.exists(base), "and the worker's");
            assertFalse(Files.exists(files), "and the environment's files");
            assertFalse(Files.exists(entry), "and the registry's entry");
        } finally {
            Files.deleteIfExists(entry);
            Files.deleteIfExists(environment);
            Files.deleteIfExists(base);
            TestDirs.delete(data);
        }
    }
}
