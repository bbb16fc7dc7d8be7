package dev.floe.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.floe.testing.TestDirs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both launchers put the runtime in the same place: its cgroups, its own session, a private /tmp of
 * the function's size, a read-only task root, the task root as working directory.
 */
class LauncherTest {

    @ParameterizedTest
    @EnumSource(value = Sandbox.LauncherChoice.class, names = {"NATIVE", "SCRIPT"})
    void theRuntimeStartsInsideEverythingTheEnvironmentIs(Sandbox.LauncherChoice choice) throws Exception {
        Path data = TestDirs.create("launcher");
        Sandbox sandbox;
        try {
            sandbox = Sandbox.open("launcher-" + choice.name().toLowerCase(), data, new Sandbox.Options(
                    Sandbox.FreezerChoice.AUTO, Sandbox.TmpChoice.AUTO, true, 1024, choice));
        } catch (IOException unavailable) {
            Assumptions.abort(choice + " is not available here: " + unavailable.getMessage());
            return;
        }
        try {
            assertEquals(choice.name().toLowerCase(), sandbox.info().launcher());
            Path root = Files.createDirectories(data.resolve("root"));
            Path out = data.resolve("out");
            Path envDir = Files.createDirectories(data.resolve("env"));
            Cell cell = sandbox.createCell("e1", 128);
            try (TmpVolume tmp = sandbox.createTmp(envDir, 512)) {
                String script = "echo pid=$$; echo sid=$(ps -o sid= -p $$ | tr -d ' '); echo cwd=$(pwd); echo uid=$(id -u);"
                        + " echo tmp=$(stat -c %a /tmp); echo entries=$(ls -A /tmp | wc -l);"
                        + " echo size=$(df -k --output=size /tmp | tail -1 | tr -d ' ');"
                        + " touch ./x 2>/dev/null && echo root=writable || echo root=readonly;"
                        + " cat /proc/self/cgroup";
                Process process = sandbox.launch(cell, tmp, root, List.of("/bin/sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"), out);
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
                String output = Files.readString(out);
                assertEquals(0, process.exitValue(), output);
                long pid = process.pid();
                assertTrue(output.contains("pid=" + pid), "the launcher becomes the runtime, same pid: " + output);
                assertTrue(output.contains("sid=" + pid), "its own session: " + output);
                assertTrue(output.contains("cwd=" + sandbox.taskRoot(root)), output);
                if (sandbox.info().users().equals("per-environment")) {
                    assertTrue(output.contains("uid=" + cell.uid()) && cell.uid() != 0, "its own user: " + output);
                }
                if (!sandbox.info().tmp().equals("tmpdir")) {
                    assertTrue(output.contains("cwd=/var/task"), output);
                    assertTrue(output.contains("tmp=1777"), output);
                    assertTrue(output.contains("entries=0"), "a private, empty /tmp: " + output);
                    long sizeKb = Long.parseLong(output.replaceAll("(?s).*size=(\\d+).*", "$1"));
                    assertTrue(sizeKb >= 512 * 1024 * 97 / 100 && sizeKb <= 560 * 1024, "a /tmp of about 512 MB: " + sizeKb + " KB");
                    assertTrue(output.contains("root=readonly"), output);
                }
                if (cell.unified() != null) {
                    String cgroup = cell.unified().toString().replaceFirst("^/sys/fs/cgroup(/unified)?", "");
                    assertTrue(output.contains("0::" + cgroup), "in its cgroup " + cgroup + ": " + output);
                }
            } finally {
                cell.killAll();
                cell.close();
            }
        } finally {
            sandbox.close();
        }
        TestDirs.delete(data);
    }
}
