package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.testing.Await;
import dev.floe.testing.Observe;
import dev.floe.worker.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A frozen environment makes no progress at all, background processes included, and resumes when
 * thawed: for every freeze back end the machine offers.
 */
class FreezeTest {

    @ParameterizedTest
    @EnumSource(value = Sandbox.FreezerChoice.class, names = {"CGROUP2", "CGROUP1", "SIGNAL"})
    void aBackgroundProcessMakesNoProgressWhileFrozenAndResumesAfterThaw(Sandbox.FreezerChoice freezer) throws Exception {
        try (PoolFixture fixture = withFreezer(freezer)) {
            assertEquals(freezer.name().toLowerCase(), fixture.sandbox.info().freezer());
            Function probe = fixture.probe("ticker", FunctionConfig.newBuilder());
            Path ticks = fixture.scratch.resolve("ticks-" + freezer);

            InvocationResult spawned = fixture.invoke(probe, "{\"op\":\"spawn\",\"path\":\"" + ticks + "\"}");
            Await.until(Duration.ofSeconds(5), "the background process ticks", () -> lines(ticks) > 0);
            fixture.awaitState(spawned.environmentId(), EnvironmentState.FROZEN);

            Observe.unchangedFor(Duration.ofMillis(300), "ticks of a frozen background process", () -> lines(ticks));

            long before = lines(ticks);
            // Thawed for the invocation's half second: the environment freezes again soon after it, so a
            // short invocation on a loaded machine could end before the background process is scheduled.
            InvocationResult thawed = fixture.invoke(probe, "{\"op\":\"sleep\",\"seconds\":0.5}");
            assertFalse(thawed.cold());
            Await.until(Duration.ofSeconds(5), "ticks resume after thaw", () -> lines(ticks) > before);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Sandbox.FreezerChoice.class, names = {"CGROUP2", "CGROUP1", "SIGNAL"})
    void aFrozenEnvironmentIsKilledWhenItRetires(Sandbox.FreezerChoice freezer) throws Exception {
        try (PoolFixture fixture = withFreezer(freezer)) {
            Function probe = fixture.probe("retiring", FunctionConfig.newBuilder());
            InvocationResult spawned = fixture.invoke(probe, "{\"op\":\"spawn\",\"path\":\""
                    + fixture.scratch.resolve("ticks-" + freezer) + "\"}");
            long background = dev.floe.testing.Processes.hostPid(spawned.environmentId(),
                    ((Number) fixture.json(spawned).get("pid")).longValue());
            long runtime = fixture.lastView(spawned.environmentId()).pid();
            fixture.awaitState(spawned.environmentId(), EnvironmentState.FROZEN);

            fixture.pool.retireFunction("retiring", java.util.Set.of());

            fixture.awaitState(spawned.environmentId(), EnvironmentState.RETIRED);
            for (long pid : new long[] {runtime, background}) {
                Await.until(Duration.ofSeconds(3), "process " + pid + " of the retired, frozen environment is gone",
                        () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)
                                || dev.floe.testing.Processes.state(pid) == 'Z');
            }
        }
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** A pool whose sandbox uses {@code freezer}; the test is skipped where the machine has no such freezer. */
    private static PoolFixture withFreezer(Sandbox.FreezerChoice freezer) throws IOException {
        try {
            return new PoolFixture(new Sandbox.Options(freezer, Sandbox.TmpChoice.AUTO, true, 1024), 1024,
                    KeepAlivePolicy.idleTimeout(Duration.ofMinutes(10)), Duration.ofMillis(20));
        } catch (IOException unavailable) {
            Assumptions.abort(freezer + " is not available here: " + unavailable.getMessage());
            throw unavailable;
        }
    }
}
