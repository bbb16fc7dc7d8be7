package dev.floe.worker.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The file that carries a runtime's environment variables to the native launcher, readable by the
 * worker alone and removed by the launcher once read: {@code floe-env/1\n}, then per variable the
 * lengths of its name and value (4 bytes each, big-endian), the name, the value. Lengths, not
 * separators: no byte of a value can end it or begin another variable. The worker checks every
 * variable as it writes, and the launcher checks again as it reads (floe-env-launch.c, same bounds).
 */
final class EnvironmentFile {
    static final byte[] MAGIC = "floe-env/1\n".getBytes(StandardCharsets.US_ASCII);
    /** The launcher's buffer for the whole file. */
    static final int MAX_BYTES = 256 * 1024;
    static final int MAX_ENTRIES = 1024;
    static final int MAX_NAME_BYTES = 255;
    /** NAME=VALUE and its NUL: the kernel's limit on one string passed to execve (MAX_ARG_STRLEN, 32 pages). */
    static final int MAX_ENTRY_BYTES = 128 * 1024;
    /** What every runtime and shell reads as a name; the platform's own start with an underscore (_HANDLER). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvironmentFile() {}

    /** Writes {@code variables} to a new file only the worker may read; refuses any the launcher would. */
    static void write(Path file, Map<String, String> variables) throws IOException {
        byte[] bytes = encode(variables);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, bytes);
    }

    /** The file's bytes; an {@link IllegalArgumentException} says which variable cannot be carried and why. */
    static byte[] encode(Map<String, String> variables) {
        if (variables.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("environment: " + variables.size() + " variables (expected: at most " + MAX_ENTRIES + ")");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        variables.forEach((name, value) -> {
            if (name.length() > MAX_NAME_BYTES || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("environment variable name " + quoted(name)
                        + " (expected: letters, digits and underscores, not starting with a digit, at most " + MAX_NAME_BYTES + ")");
            }
            int nul = value.indexOf('\0');
            if (nul >= 0) {
                throw new IllegalArgumentException("environment variable " + name + ": a NUL at position " + nul
                        + " (expected: a value without NUL, which no process environment can carry)");
            }
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            if (n.length + 1 + v.length + 1 > MAX_ENTRY_BYTES) {
                throw new IllegalArgumentException("environment variable " + name + ": " + v.length
                        + " bytes (expected: NAME=VALUE within " + MAX_ENTRY_BYTES + " bytes, what the kernel passes to a program)");
            }
            writeInt(out, n.length);
            writeInt(out, v.length);
            out.writeBytes(n);
            out.writeBytes(v);
        });
        if (out.size() > MAX_BYTES) {
            throw new IllegalArgumentException("environment: " + out.size() + " bytes (expected: at most " + MAX_BYTES + ")");
        }
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }

    private static String quoted(String name) {
        StringBuilder b = new StringBuilder("\"");
        name.codePoints().limit(80).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(name.codePointCount(0, name.length()) > 80 ? "...\"" : "\"").toString();
    }
}
