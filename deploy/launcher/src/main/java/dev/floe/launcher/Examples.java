package dev.floe.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The sample functions of the top-level {@code examples/} directory, which the build also puts in the
 * launcher's jar: the demo and the benchmarks deploy them from there, wherever Floe runs.
 */
public final class Examples {
    private Examples() {}

    /** The {@code bootstrap} of the sample function {@code name} (a directory of {@code examples/}). */
    public static String bootstrap(String name) throws IOException {
        try (InputStream in = Examples.class.getResourceAsStream("examples/" + name + "/bootstrap")) {
            if (in == null) {
                throw new IOException("the sample function " + name + " is missing from the launcher's jar (expected:"
                        + " dev/floe/launcher/examples/" + name + "/bootstrap, which the build copies from examples/)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
