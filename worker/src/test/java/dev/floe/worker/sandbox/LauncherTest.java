package dev.floe.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    @EnumSource(value = Sandbox.LauncherChoice.class, names = {"NATIVE"})
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
            try (TmpVolume tmp = sandbox.createTmp(cell, envDir, 512)) {
                String script = "echo pid=$$; echo sid=$(ps -o sid= -p $$ | tr -d ' '); echo cwd=$(pwd); echo uid=$(id -u);"
                        + " echo nofile=$(ulimit -n); echo var=$(env | grep -c '^SECRET=only-for-the-runtime$');"
                        + " echo processes=$(ls /proc | grep -c '^[0-9]');"
                        + " echo tmp=$(stat -c %a /tmp); echo entries=$(ls -A /tmp | wc -l);"
                        + " echo size=$(df -k --output=size /tmp | tail -1 | tr -d ' ');"
                        + " touch ./x 2>/dev/null && echo root=writable || echo root=readonly;"
                        + " cat /proc/self/cgroup;"
                        + " echo cgroups=$(ls " + (cell.unified() == null ? "/nonexistent" : unifiedMount(cell.unified())) + ");"
                        + " touch /var/tmp/t /dev/shm/s && echo shared=$(ls /tmp | tr '\\n' ' ')";
                Process process = sandbox.launch(cell, tmp, root, null, List.of("/bin/sh", "-c", script),
                        Map.of("PATH", "/usr/bin:/bin", "SECRET", "only-for-the-runtime"), out.getParent(),
                        java.lang.ProcessBuilder.Redirect.appendTo(out.toFile()));
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
                String output = Files.readString(out);
                assertEquals(0, process.exitValue(), output);
                long pid = process.pid();
                boolean namespaces = !sandbox.info().tmp().equals("tmpdir");
                if (namespaces) {
                    assertTrue(output.contains("pid=2"), "the runtime follows the environment's init in its PID namespace: " + output);
                } else {
                    assertTrue(output.contains("pid=" + pid), "the launcher becomes the runtime, same pid: " + output);
                    assertTrue(output.contains("sid=" + pid), "its own session: " + output);
                }
                assertTrue(output.contains("cwd=" + sandbox.taskRoot(root)), output);
                assertTrue(output.contains("nofile=1024"), "Lambda's limit on open files: " + output);
                assertTrue(output.contains("var=1"), "the runtime gets its variables: " + output);
                assertFalse(Files.exists(envDirFile(out)), "and their file is gone");
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
                    assertTrue(output.contains("shared=s t"), "/var/tmp and /dev/shm are its own /tmp: " + output);
                    assertTrue(Integer.parseInt(output.replaceAll("(?s).*processes=(\\d+).*", "$1")) < 10,
                            "it sees its own processes only: " + output);
                }
                if (cell.unified() != null && namespaces) {
                    assertTrue(output.contains("0::/\n"), "in its cgroup, its namespace's root: " + output);
                    assertTrue(output.contains("cgroups=" + String.join(" ", own(cell.unified()))),
                            "only its own cgroup's files are listed: " + output);
                } else if (cell.unified() != null) {
                    String cgroup = cell.unified().toString().replaceFirst("^/sys/fs/cgroup(/unified)?", "");
                    assertTrue(output.contains("0::" + cgroup), "in its cgroup " + cgroup + ": " + output);
                }
            } finally {
                cell.killAll();
                cell.close();
            }
        } finally {
            sandbox.close();
            TestDirs.delete(data);
        }
    }

    /** The script, for workers that are not root: it joins nothing it may not, starts a session, and passes the environment through. */
    @org.junit.jupiter.api.Test
    void theScriptStartsTheRuntimeInItsOwnSessionWithItsEnvironment() throws Exception {
        Path dir = TestDirs.create("script-launcher");
        Path script = dir.resolve("floe-env-launch.sh");
        try (var in = Sandbox.class.getResourceAsStream("floe-env-launch.sh")) {
            Files.copy(in, script);
        }
        // Files standing in for cgroup.procs: the script writes its pid to each.
        String procs = dir.resolve("procs-a") + ":" + dir.resolve("procs-b");
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", script.toString(), procs, "none", "-", "0", dir.toString(),
                dir.toString(), "", "0", "-", "--", "/bin/sh", "-c", "echo pid=$$ sid=$(ps -o sid= -p $$ | tr -d ' ') var=$GREETING cwd=$(pwd) nofile=$(ulimit -n)")
                .redirectErrorStream(true);
        builder.environment().clear();
        // The function's variables are the script's environment: ones that steer a shell steer nothing in it.
        builder.environment().putAll(Map.of("PATH", "/usr/bin:/bin", "GREETING", "hi", "IFS", "0123456789:/",
                "CDPATH", "/nonexistent", "ENV", "/nonexistent"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("pid=" + process.pid() + " sid=" + process.pid()), "its own session, same pid: " + output);
        assertTrue(output.contains("var=hi cwd=" + dir + " nofile=1024"), output);
        for (String file : procs.split(":")) {
            assertEquals(Long.toString(process.pid()), Files.readString(Path.of(file)).strip(), "joined " + file);
        }

        Process refused = new ProcessBuilder("/bin/sh", script.toString(), "", "disk", "img", "512", dir.toString(),
                "/var/task", "", "1234", "-", "--", "/bin/true").redirectErrorStream(true).start();
        String why = new String(refused.getInputStream().readAllBytes());
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
        assertEquals(126, refused.exitValue(), "what it cannot do safely, it refuses: " + why);
        TestDirs.delete(dir);
    }

    /** The names in a cgroup directory, sorted as ls sorts them in the C locale. */
    private static List<String> own(Path cgroup) throws IOException {
        try (var names = Files.list(cgroup)) {
            return names.map(name -> name.getFileName().toString()).sorted().toList();
        }
    }

    private static String unifiedMount(Path cgroup) {
        return cgroup.startsWith("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
    }

    /**
     * A release unpacked under /tmp keeps its interpreter (java) there, which the environment's own /tmp
     * would hide: the launcher shows it at /var/lang instead, and the program starts.
     */
    @org.junit.jupiter.api.Test
    void anInterpreterKeptUnderTheMachinesTmpStillStarts() throws Exception {
        Path data = TestDirs.create("launcher-lang");
        Path release = Files.createTempDirectory(Path.of("/tmp"), "floe-release-");
        Sandbox sandbox;
        try {
            sandbox = Sandbox.open("launcher-lang", data, Sandbox.Options.defaults());
        } catch (IOException unavailable) {
            TestDirs.delete(data);
            Assumptions.abort("no sandbox here: " + unavailable.getMessage());
            return;
        }
        try {
            Assumptions.assumeFalse(sandbox.info().tmp().equals("tmpdir"), "environments here have no /tmp of their own");
            Path bin = Files.createDirectories(release.resolve("runtime/bin"));
            Path echo = bin.resolve("echo");
            Files.copy(Path.of("/bin/echo"), echo);
            Path root = Files.createDirectories(data.resolve("root"));
            Path envDir = Files.createDirectories(data.resolve("env"));
            Path out = envDir.resolve("out");
            Cell cell = sandbox.createCell("e1", 128);
            try (TmpVolume tmp = sandbox.createTmp(cell, envDir, 512)) {
                Process process = sandbox.launch(cell, tmp, root, null, List.of(echo.toString(), "started"), Map.of("PATH", "/usr/bin:/bin"),
                        envDir, java.lang.ProcessBuilder.Redirect.appendTo(out.toFile()));
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
                String output = Files.readString(out);
                assertEquals(0, process.exitValue(), output);
                assertEquals("started", output.strip());
            } finally {
                cell.killAll();
                cell.close();
            }
        } finally {
            sandbox.close();
            TestDirs.delete(data);
            try (var files = Files.walk(release)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Path envDirFile(Path log) {
        return log.resolveSibling("environment");
    }
}
