/**
 * The {@code floe} command line: parsing ({@link dev.floe.client.cli.Args}), the commands that talk to a
 * controller through {@link dev.floe.client.FloeClient} ({@link dev.floe.client.cli.Cli} dispatches to one
 * small class per command group), and their output as aligned tables or JSON. Errors are one line on
 * stderr with a non-zero exit.
 */
package dev.floe.client.cli;
