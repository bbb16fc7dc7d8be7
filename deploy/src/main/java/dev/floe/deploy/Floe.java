package dev.floe.deploy;

import dev.floe.client.cli.Cli;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.logging.LogManager;

/** The {@code floe} command: the fleet's own commands plus the client commands of {@link Cli}. */
public final class Floe {
    private static final Set<String> SERVERS = Set.of("up", "controller", "worker");

    private Floe() {}

    public static void main(String[] args) {
        configureLogging(args.length > 0 && SERVERS.contains(args[0]));
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.exit(cli(out, System.err).run(args));
    }

    /** The full command line, with the server commands, the demo and the client commands. */
    public static Cli cli(PrintStream out, PrintStream err) {
        return cli(out, err, System.getenv());
    }

    /** The command line with {@code env} for its environment variables ({@code FLOE_ENDPOINT}, {@code FLOE_TOKEN}, {@code HOME}). */
    public static Cli cli(PrintStream out, PrintStream err, Map<String, String> env) {
        Map<String, Cli.Command> commands = new LinkedHashMap<>();
        commands.put("demo", Demo::run);
        commands.put("up", ServerCommands::up);
        commands.put("controller", ServerCommands::controller);
        commands.put("worker", ServerCommands::worker);
        commands.put("bench", Benchmark::run);
        commands.put("bench-fleet", FleetBenchmark::run);
        commands.put("chaos", dev.floe.deploy.chaos.ChaosCommand::run);
        commands.put("bench-async", AsyncBenchmark::run);
        commands.put("bench-runtimes", RuntimeBenchmark::run);
        commands.put("simulate", dev.floe.deploy.simulate.SimulateCommand::run);
        commands.put("bench-placement", dev.floe.deploy.simulate.PlacementBenchmark::run);
        commands.put("bench-lambda", LambdaApiBenchmark::run);
        commands.put("bench-stream", StreamBenchmark::run);
        commands.put("version", (args, cli) -> {
            cli.out().println("floe " + version());
            return 0;
        });
        return new Cli(out, err, env, commands);
    }

    static String version() {
        String v = Floe.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    /** One line per record on stderr; servers say what they do, client commands only what goes wrong. */
    static void configureLogging(boolean server) {
        String config = """
                handlers=java.util.logging.ConsoleHandler
                .level=WARNING
                dev.floe.level=%s
                io.grpc.level=SEVERE
                io.netty.level=SEVERE
                java.util.logging.ConsoleHandler.level=ALL
                java.util.logging.SimpleFormatter.format=%%1$tF %%1$tT %%4$s %%3$s: %%5$s%%6$s%%n
                """.formatted(server ? "INFO" : "WARNING");
        try {
            LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
