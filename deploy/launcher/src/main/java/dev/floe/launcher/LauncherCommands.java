package dev.floe.launcher;

import dev.floe.client.cli.Args;
import dev.floe.client.cli.CommandProvider;
import dev.floe.client.cli.FloeCommand;
import java.util.ArrayList;
import java.util.List;

/** The launcher's commands: the demo, the servers ({@code up}, {@code controller}, {@code worker}) and {@code version}. */
public final class LauncherCommands implements CommandProvider {
    @Override
    public List<FloeCommand> commands() {
        List<FloeCommand> commands = new ArrayList<>();
        commands.add(Demo.command());
        commands.addAll(ServerCommands.commands());
        commands.add(FloeCommand.named("version").section(FloeCommand.Section.OTHER).synopsis("version")
                .summary("Floe's version and the commit it was built from (also floe --version)")
                .options(new Args.Spec())
                .runs((args, cli) -> {
                    args.positional(0, "no arguments");
                    cli.out().println("floe " + BuildInfo.version() + " (commit " + BuildInfo.commit() + ")");
                    return 0;
                }).build());
        return commands;
    }
}
