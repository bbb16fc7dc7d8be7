package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.worker.sandbox.Cell;
import dev.floe.worker.sandbox.TmpVolume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, item 1: an environment cgroup the worker owns but no environment it knows (whatever path
 * gave up on it without cleaning) is killed and removed by the periodic audit, counted in a meter;
 * the worker's own environments are left alone.
 */
class StrayAuditTest {
    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aCgroupNoEnvironmentOwnsIsKilledAndRemovedAndCounted() throws Exception {
        Function kept = fixture.probe("kept", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(kept, "{\"op\":\"count\"}");
        Cell stray = fixture.sandbox.createCell("stray0000001", 128);
        Path dir = Files.createDirectories(fixture.sandbox.environmentsDir().resolve("stray0000001"));
        TmpVolume tmp = fixture.sandbox.createTmp(stray, dir, 64);
        Path code = Files.createDirectories(fixture.data.resolve("stray-code"));
        Process process = fixture.sandbox.launch(stray, tmp, code, null, List.of("/bin/sh", "-c", "sleep 1000 & sleep 1000"),
                Map.of("PATH", "/usr/bin:/bin"), dir, ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile()));
        assertTrue(fixture.sandbox.cellIds().contains("stray0000001"));

        assertEquals(0, fixture.pool.auditStrays(), "unknown once: perhaps being created");
        assertEquals(1, fixture.pool.auditStrays(), "unknown twice: a stray");

        Await.until(Duration.ofSeconds(5), "the stray's processes are gone", () -> !process.isAlive());
        assertFalse(fixture.sandbox.cellIds().contains("stray0000001"), "and its cgroups");
        assertEquals(1.0, fixture.metrics.registry().get("floe.worker.environment.strays").counter().count());
        InvocationResult second = fixture.invoke(kept, "{\"op\":\"count\"}");
        assertEquals(first.environmentId(), second.environmentId(), "the worker's own environment is untouched");
        assertFalse(second.cold());
        assertEquals(0, fixture.pool.auditStrays());
        tmp.close();
    }
}
