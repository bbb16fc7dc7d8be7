package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.util.Map;
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
