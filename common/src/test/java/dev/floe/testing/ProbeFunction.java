package dev.floe.testing;

import dev.floe.common.CodePackages;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The probe function's code package: a Lambda runtime in Python (standard library only) whose every
 * invocation does what the event's {@code op} says. See {@code probe_bootstrap.py}.
 */
public final class ProbeFunction {
    private ProbeFunction() {}

    public static String bootstrap() {
        try (InputStream in = ProbeFunction.class.getResourceAsStream("probe_bootstrap.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The probe as a zip package with an executable bootstrap. */
    public static byte[] zip() {
        return CodePackages.zipFiles(Map.of("bootstrap", bootstrap()));
    }

    /** A package whose bootstrap is the given shell script. */
    public static byte[] shell(String script) {
        return CodePackages.zipFiles(Map.of("bootstrap", script));
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
