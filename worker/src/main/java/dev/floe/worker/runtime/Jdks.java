package dev.floe.worker.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds an installed JDK of a given feature release: the worker's own, else one under /usr/lib/jvm. */
final class Jdks {
    private static final Path JVM_DIR = Path.of("/usr/lib/jvm");
    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    private Jdks() {}

    /** The {@code java} launcher of a JDK whose feature release is {@code feature}. */
    static Optional<Path> find(int feature) {
        Path own = Path.of(System.getProperty("java.home"));
        if (Runtime.version().feature() == feature && Files.isExecutable(own.resolve("bin/java"))) {
            return Optional.of(own.resolve("bin/java"));
        }
        if (!Files.isDirectory(JVM_DIR)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(JVM_DIR)) {
            List<Path> sorted = homes.sorted().toList();
            for (Path home : sorted) {
                if (featureOf(home) == feature && Files.isExecutable(home.resolve("bin/java"))) {
                    return Optional.of(home.resolve("bin/java"));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The feature release in a JDK's {@code release} file, or 0. */
    static int featureOf(Path home) {
        try {
            Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
