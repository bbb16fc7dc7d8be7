package dev.floe.launcher;

import dev.floe.client.cli.Cli;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.logging.LogManager;

/**
 * The {@code floe} command's entry point: the commands of every module on the class path (the
 * client's, this launcher's, and the tools' when their jars are there), found by {@link Cli#discover()}.
 */
public final class Floe {
    private static final Set<String> SERVERS = Set.of("up", "controller", "worker");

    private Floe() {}

    public static void main(String[] args) {
        boolean server = args.length > 0 && SERVERS.contains(args[0]);
        configureLogging(server, server && "json".equals(logFormat(args)));
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.exit(cli(out, System.err).run(args));
    }

    /** The full command line. */
    public static Cli cli(PrintStream out, PrintStream err) {
        return cli(out, err, System.getenv());
    }

    /** The command line with {@code env} for its environment variables ({@code FLOE_ENDPOINT}, {@code FLOE_TOKEN}, {@code HOME}). */
    public static Cli cli(PrintStream out, PrintStream err, Map<String, String> env) {
        return new Cli(out, err, env);
    }

    /** Floe's version, as the build recorded it. */
    public static String version() {
        return BuildInfo.version();
    }

    /** The value of {@code --log-format} among {@code args} (the command checks it), else null. */
    static String logFormat(String[] args) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--log-format") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--log-format=")) {
                return args[i].substring("--log-format=".length());
            }
        }
        return null;
    }

    /**
     * One line per record on stderr; servers say what they do, client commands only what goes wrong. With
     * {@code json}, each line is a JSON object ({@link JsonLogFormatter}).
     */
    static void configureLogging(boolean server, boolean json) {
        String config = """
                handlers=java.util.logging.ConsoleHandler
                .level=WARNING
                dev.floe.level=%s
                io.grpc.level=SEVERE
                io.netty.level=SEVERE
                java.util.logging.ConsoleHandler.level=ALL
                java.util.logging.SimpleFormatter.format=%%1$tF %%1$tT %%4$s %%3$s: %%5$s%%6$s%%n
                """.formatted(server ? "INFO" : "WARNING")
                + (json ? "java.util.logging.ConsoleHandler.formatter=" + JsonLogFormatter.class.getName() + "\n" : "");
        try {
            LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
