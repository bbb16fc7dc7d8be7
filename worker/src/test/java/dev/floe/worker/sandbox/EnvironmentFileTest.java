package dev.floe.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.TestDirs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, item 3 (the launcher's side): whatever bytes a function's variables hold, the runtime
 * gets exactly those variables, no more, or the start is refused with a reason; and the launcher
 * refuses any environment file it cannot read unambiguously.
 */
class EnvironmentFileTest {
    private Path data;
    private Sandbox sandbox;

    @BeforeEach
    void open() throws IOException {
        data = TestDirs.create("envfile");
        try {
            sandbox = Sandbox.open("envfile", data, new Sandbox.Options(Sandbox.FreezerChoice.AUTO, Sandbox.TmpChoice.AUTO,
                    true, 1024, Sandbox.LauncherChoice.NATIVE));
        } catch (IOException unavailable) {
            TestDirs.delete(data);
            Assumptions.abort("the native launcher is not available here: " + unavailable.getMessage());
        }
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
        TestDirs.delete(data);
    }

    @Test
    void hostileValuesReachTheRuntimeWholeAndInjectNothing() throws Exception {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("PATH", "/usr/bin:/bin");
        variables.put("NEWLINES", "one\nINJECTED_A=1\n\nAWS_LAMBDA_RUNTIME_API=127.0.0.1:9\n");
        variables.put("EQUALS", "=a=b==INJECTED_B=2=");
        variables.put("CONTROL", "\u0001\u0002\t\r\u001b[31m\u007f");
        variables.put("HIGH_BYTES", "\u00ff\u00fe\u00c3\u0028\u00a0 caf\u00e9 \u20ac \ud83d\ude00 \uffff");
        variables.put("LONE_SURROGATE", "x\ud800y");
        variables.put("LOOKS_LIKE_A_RECORD", "\u0000\u0000\u0000\u0001".replace('\u0000', '\u0007') + "floe-env/1\n");
        variables.put("EMPTY", "");
        variables.put("LONG", "v".repeat(100_000));

        Map<String, String> seen = environmentOf(variables);

        for (Map.Entry<String, String> e : variables.entrySet()) {
            String expected = new String(e.getValue().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            assertEquals(expected, seen.get(e.getKey()), e.getKey() + " reaches the runtime whole");
        }
        assertFalse(seen.keySet().stream().anyMatch(name -> name.startsWith("INJECTED")), "nothing injected: " + seen.keySet());
        assertFalse(seen.containsKey("AWS_LAMBDA_RUNTIME_API"), seen.keySet().toString());
    }

    @Test
    void variablesNoLauncherCanCarryWholeRefuseTheStartWithTheirReason() {
        assertRefused(Map.of("X", "a\u0000INJECTED=1"), "a NUL at position 1");
        assertRefused(Map.of("A=B", "c"), "environment variable name \"A=B\"");
        assertRefused(Map.of("A\nB", "c"), "\"A\\u000aB\"");
        assertRefused(Map.of("", "c"), "environment variable name \"\"");
        assertRefused(Map.of("9LIVES", "c"), "not starting with a digit");
        assertRefused(Map.of("N".repeat(256), "c"), "at most 255");
        assertRefused(Map.of("HUGE", "v".repeat(EnvironmentFile.MAX_ENTRY_BYTES)), "within 131072 bytes");
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            many.put("BIG" + i, "v".repeat(100_000));
        }
        assertRefused(many, "at most 262144");
    }

    @Test
    void theLauncherRefusesAnyFileItCannotReadUnambiguously() throws Exception {
        byte[] good = EnvironmentFile.encode(Map.of("PATH", "/usr/bin:/bin", "A", "1"));
        assertEquals("A=1", launchWith(good).lines().filter(l -> l.startsWith("A=")).findFirst().orElseThrow());

        assertLauncherRefuses("NUL-separated\0A=1\0".getBytes(StandardCharsets.UTF_8), "not a Floe environment file");
        assertLauncherRefuses(java.util.Arrays.copyOf(good, good.length - 1), "record 1: cut short in its name or value");
        assertLauncherRefuses(concat(good, new byte[] {0, 0, 0}), "record 2: cut short in its lengths");
        assertLauncherRefuses(concat(good, record("B=C", "x")), "record 2: a name that is not letters");
        assertLauncherRefuses(concat(good, record("B", "x\0C=1")), "record 2: a NUL inside a value");
        assertLauncherRefuses(concat(good, record("A", "2")), "record 2: a name given twice");
        assertLauncherRefuses(concat(good, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 1, 'B'}),
                "record 2: cut short in its name or value");
        assertLauncherRefuses(concat(good, record("BIG", "v".repeat(EnvironmentFile.MAX_ENTRY_BYTES))),
                "record 2: NAME=VALUE longer than the kernel passes");
    }

    /** Starts {@code env -0} through the sandbox with {@code variables} and returns the environment it printed. */
    private Map<String, String> environmentOf(Map<String, String> variables) throws Exception {
        Path envDir = Files.createDirectories(data.resolve("env"));
        Path out = envDir.resolve("out");
        Cell cell = sandbox.createCell("e1", 128);
        try (TmpVolume tmp = sandbox.createTmp(cell, envDir, 64)) {
            Process process = sandbox.launch(cell, tmp, Files.createDirectories(data.resolve("root")), null,
                    List.of("/usr/bin/env", "-0"), variables, envDir, Redirect.appendTo(out.toFile()));
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1));
            assertFalse(Files.exists(envDir.resolve("environment")), "the launcher removes the file");
            Map<String, String> seen = new LinkedHashMap<>();
            for (String entry : new String(Files.readAllBytes(out), StandardCharsets.UTF_8).split("\0")) {
                int eq = entry.indexOf('=');
                String previous = seen.put(entry.substring(0, eq), entry.substring(eq + 1));
                assertEquals(null, previous, "one entry per name: " + entry.substring(0, eq));
            }
            return seen;
        } finally {
            cell.killAll();
            cell.close();
        }
    }

    private void assertRefused(Map<String, String> variables, String reason) {
        IOException refused = assertThrows(IOException.class, () -> environmentOf(variables), variables.keySet().toString());
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }

    /** Runs the installed launcher on a crafted file, no namespace, no user switch; returns its output. */
    private String launchWith(byte[] file) throws Exception {
        Path envFile = data.resolve("crafted");
        Files.write(envFile, file);
        Path root = Files.createDirectories(data.resolve("root"));
        Process process = new ProcessBuilder(data.resolve("bin/floe-env-launch").toString(), "", "none", "", "0",
                root.toString(), root.toString(), "", "0", envFile.toString(), "--", "/usr/bin/env")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(envFile), "the launcher removes the file, read or refused");
        return process.exitValue() + "\n" + output;
    }

    private void assertLauncherRefuses(byte[] file, String reason) throws Exception {
        String result = launchWith(file);
        assertTrue(result.startsWith("126\n"), "refused: " + result);
        assertTrue(result.contains(reason), result);
    }

    private static byte[] record(String name, String value) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int length : new int[] {n.length, v.length}) {
            out.write(length >>> 24);
            out.write(length >>> 16);
            out.write(length >>> 8);
            out.write(length);
        }
        out.writeBytes(n);
        out.writeBytes(v);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
