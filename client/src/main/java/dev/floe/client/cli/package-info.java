/**
 * The {@code floe} command line: each command is a {@link dev.floe.client.cli.FloeCommand} declared beside
 * the code that runs it (its help, options and action), found by {@link java.util.ServiceLoader} through
 * {@link dev.floe.client.cli.CommandProvider} in whichever module holds it, parsed by picocli into
 * {@link dev.floe.client.cli.Args}; {@code floe help}, {@code floe COMMAND --help}, shell completion and the
 * Markdown reference are made from the same declarations. The client's own commands talk to a controller
 * through {@link dev.floe.client.FloeClient} (one small class per command group) and print aligned tables or
 * JSON. Errors are one line on stderr with a non-zero exit.
 */
package dev.floe.client.cli;
