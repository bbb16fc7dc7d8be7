package dev.floe.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's main command, run as users run it: the ./floe launcher, in its own process. */
class FloeLauncherIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void theBuildIsFresh() throws IOException {
        // This test runs after `package`: the distribution the launcher runs is the one just built.
        Path stamp = ROOT.resolve("deploy/target/floe.built");
        Files.writeString(stamp, "");
    }

    @Test
    void theDemoShowsAColdStartThenWarmStartsOnAFrozenEnvironmentAndLeavesNothingBehind() throws Exception {
        Run demo = floe(Duration.ofMinutes(3), "demo");

        assertEquals(0, demo.status(), demo.output());
        List<String> rows = demo.output().lines().filter(l -> l.matches("^[1-4] +(cold|warm) .*")).toList();
        assertEquals(4, rows.size(), demo.output());
        assertTrue(rows.getFirst().matches("^1 +cold .*"), demo.output());
        assertTrue(rows.stream().skip(1).allMatch(r -> r.contains(" warm ")), demo.output());
        assertTrue(rows.stream().allMatch(r -> r.contains("FROZEN")), demo.output());
        assertTrue(rows.get(3).contains("\"invocation\":4"), "state survives in the warm environment: " + demo.output());
        assertTrue(demo.output().contains("no environment process left"), demo.output());
        Processes.assertNoneLeft("/var/tmp/floe-demo-", Duration.ofSeconds(5));
    }

    @Test
    void helpAndErrorsComeFromTheLauncherToo() throws Exception {
        Run help = floe(Duration.ofSeconds(60), "help");
        assertEquals(0, help.status(), help.output());
        assertTrue(help.output().contains("invoke NAME [--payload JSON | --payload-file FILE] [--tail] [--json]"), help.output());

        Run unknown = floe(Duration.ofSeconds(60), "frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.output().startsWith("floe: unknown command 'frobnicate'"), unknown.output());
    }

    private record Run(int status, String output) {}

    private static Run floe(Duration timeout, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("floe").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("floe " + String.join(" ", args) + " did not finish within " + timeout);
            }
            return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }
}
