package dev.floe.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version and the commit this build was made from, which the build writes into {@code floe-build.properties}. */
public final class BuildInfo {
    private static final Properties PROPERTIES = load();

    private BuildInfo() {}

    public static String version() {
        return value("version");
    }

    /** The commit's abbreviated hash, with {@code -dirty} if the tree had changes; {@code unknown} outside a git checkout. */
    public static String commit() {
        return value("commit");
    }

    private static String value(String name) {
        String value = PROPERTIES.getProperty(name, "");
        return value.isBlank() ? "unknown" : value;
    }

    private static Properties load() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("floe-build.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }
}
