package dev.floe.client.cli;

import java.util.ArrayList;
import java.util.List;

/** The commands of the client: functions, invocations, aliases, the fleet's state and TLS files. */
public final class ClientCommands implements CommandProvider {
    @Override
    public List<FloeCommand> commands() {
        List<FloeCommand> commands = new ArrayList<>(List.of(FunctionCommands.command(), InvokeCommands.command(),
                AliasCommands.command(), AsyncCommands.invocationCommand(), AsyncCommands.deadLettersCommand()));
        commands.addAll(FleetCommands.commands());
        commands.add(TlsCommands.command());
        commands.add(FloeCommand.named("completion").section(FloeCommand.Section.OTHER).synopsis("completion")
                .summary("a bash completion script for floe: source <(floe completion)")
                .options(new Args.Spec())
                .runs((args, cli) -> {
                    args.positional(0, "no arguments");
                    cli.out().print(picocli.AutoComplete.bash("floe", CommandLines.tree(cli.commands())));
                    return 0;
                }).build());
        return commands;
    }
}
