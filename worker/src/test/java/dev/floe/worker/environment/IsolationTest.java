package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a function can do to the machine it runs on: nothing beyond its own environment. Each
 * environment runs as an unprivileged user of its own, in its own cgroups and mount namespace.
 */
class IsolationTest {
    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
        Assumptions.assumeTrue(fixture.sandbox.info().users().equals("per-environment"),
                "environments here run as the worker's user (it is not root)");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aFunctionRunsAsAnUnprivilegedUserOfItsOwn() {
        Function a = fixture.probe("a", FunctionConfig.newBuilder());
        Function b = fixture.probe("b", FunctionConfig.newBuilder());

        String userA = sh(a, "id -u; id -G; grep NoNewPrivs /proc/self/status; grep CapEff /proc/self/status");
        String userB = sh(b, "id -u");

        String uidA = userA.lines().findFirst().orElseThrow();
        assertNotEquals("0", uidA);
        assertEquals(uidA, userA.lines().skip(1).findFirst().orElseThrow(), "no other groups: " + userA);
        assertTrue(userA.contains("NoNewPrivs:\t1"), userA);
        assertTrue(userA.contains("CapEff:\t0000000000000000"), "no capabilities: " + userA);
        assertNotEquals(uidA, userB.strip(), "each environment its own user");
    }

    @Test
    void aFunctionCannotHarmTheWorkerOrOtherEnvironments() {
        Function victim = fixture.probe("victim", FunctionConfig.newBuilder());
        fixture.invoke(victim, "{\"op\":\"self\"}");
        // The victim's runtime as the machine numbers it (inside, every runtime is pid 2 of its own namespace).
        long victimPid = ProcessHandle.current().descendants().mapToLong(ProcessHandle::pid).max().orElseThrow();
        Function attacker = fixture.probe("attacker", FunctionConfig.newBuilder());
        long worker = ProcessHandle.current().pid();

        assertRefused(attacker, "kill -9 " + worker, "signal the worker");
        assertRefused(attacker, "kill -9 " + victimPid, "signal another environment");
        assertRefused(attacker, "cat /proc/" + victimPid + "/environ", "read another environment's variables");
        assertRefused(attacker, "find /sys/fs/cgroup -name 'floe*' | grep -q .", "list the environments' cgroups");
        assertRefused(attacker, "test $(ls /proc | grep -c '^[0-9]') -gt 8", "see other processes");
        assertRefused(attacker, "echo $$ > /sys/fs/cgroup/unified/cgroup.procs || echo $$ > /sys/fs/cgroup/memory/cgroup.procs"
                + " || exit 1", "leave its cgroups");
        assertRefused(attacker, "mount -o remount,rw /var/task", "make its code writable");
        assertRefused(attacker, "touch /var/task/planted", "write to its code");
        assertRefused(attacker, "ls " + fixture.data.resolve("envs"), "read the worker's logs and /tmp images");
        assertRefused(attacker, "ls " + fixture.data.resolve("code"), "list other functions' code");
        assertEquals(1.0, fixture.json(fixture.invoke(victim, "{\"op\":\"count\"}")).get("count"), "the victim is unharmed");
        assertTrue(ProcessHandle.current().isAlive());
    }

    @Test
    void theCodeIsAtVarTaskAsInLambda() {
        Function probe = fixture.probe("where", FunctionConfig.newBuilder());

        Map<String, Object> env = fixture.json(fixture.invoke(probe, "{\"op\":\"env\"}"));
        Map<String, Object> self = fixture.json(fixture.invoke(probe, "{\"op\":\"self\"}"));

        assertEquals("/var/task", env.get("LAMBDA_TASK_ROOT"));
        assertEquals("/var/task", self.get("cwd"));
        assertTrue(sh(probe, "ls -l /var/task").contains("bootstrap"));
    }

    /**
     * Issue 10, item 2: every world-writable directory of the machine (found now, plus one made for
     * the test) is read-only to a function, except its own /tmp, /var/tmp and /dev/shm and the one
     * directory the fixture shares on purpose (the rest of the tests watch functions there).
     */
    @Test
    void aFunctionWritesNowhereOnTheMachineButItsOwnTmpAndWhatIsSharedWithIt() throws Exception {
        Path open = Files.createDirectories(fixture.data.resolve("world-writable"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> machine = worldWritableDirectories();
        assertTrue(machine.contains(open.toString()), machine.toString());
        List<String> tried = new ArrayList<>(machine);
        tried.addAll(List.of("/tmp", "/var/tmp", "/dev/shm"));

        Function writer = fixture.probe("writer", FunctionConfig.newBuilder());
        StringBuilder script = new StringBuilder("for d in");
        tried.forEach(d -> script.append(" '").append(d.replace("'", "'\\''")).append('\''));
        script.append("; do f=\"$d/.floe-write-probe-$$\"; if (echo x > \"$f\") 2>/dev/null; then echo \"$d\"; rm -f \"$f\"; fi; done;")
                .append(" if (echo x > /var/task/.probe || mkdir /usr/.probe || touch /etc/passwd) 2>/dev/null; then echo machine; fi");
        Set<String> written = new TreeSet<>(sh(writer, script.toString()).lines().toList());

        System.out.println("writable: tried " + tried.size() + " directories (" + machine.size() + " world-writable on the machine), written: "
                + written);
        assertEquals(new TreeSet<>(Set.of("/tmp", "/var/tmp", "/dev/shm", fixture.scratch.toString())), written,
                "tried: " + tried);
    }

    /** The machine's world-writable directories, but for the places each environment has of its own and the kernel's. */
    private static List<String> worldWritableDirectories() throws IOException {
        Set<Path> skip = Set.of(Path.of("/proc"), Path.of("/sys"), Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"));
        List<String> found = new ArrayList<>();
        Files.walkFileTree(Path.of("/"), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (skip.contains(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                try {
                    if (Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_WRITE)) {
                        found.add(dir.toString());
                    }
                } catch (IOException gone) {
                    // removed while walking (another test's directory)
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    private String sh(Function function, String command) {
        InvocationResult result = fixture.invoke(function, "{\"op\":\"sh\",\"command\":" + new com.google.gson.Gson().toJson(command) + "}");
        assertEquals("", result.functionError(), PoolFixture.body(result));
        return (String) fixture.json(result).get("out");
    }

    private void assertRefused(Function function, String command, String what) {
        InvocationResult result = fixture.invoke(function, "{\"op\":\"sh\",\"command\":" + new com.google.gson.Gson().toJson(command) + "}");
        Map<String, Object> outcome = fixture.json(result);
        assertNotEquals(0.0, outcome.get("code"), "a function must not " + what + ": " + outcome);
    }
}
