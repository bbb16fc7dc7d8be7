package dev.floe.client.cli;

import java.util.List;

/**
 * The commands one module adds to {@code floe}, found at start with {@link java.util.ServiceLoader}
 * (each module names its provider in {@code META-INF/services/dev.floe.client.cli.CommandProvider}).
 * So the launcher runs the benchmarks, the simulator and the chaos harness when their jars are on the
 * class path, without depending on them: no module cycle, and a tool is added by adding its jar.
 */
public interface CommandProvider {
    /** This module's commands, in the order {@code floe help} lists them within their section. */
    List<FloeCommand> commands();
}
