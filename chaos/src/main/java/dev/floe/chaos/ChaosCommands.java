package dev.floe.chaos;

import dev.floe.client.cli.CommandProvider;
import dev.floe.client.cli.FloeCommand;
import java.util.List;

/** {@code floe chaos}, which the launcher finds when this module's jar is on its class path. */
public final class ChaosCommands implements CommandProvider {
    @Override
    public List<FloeCommand> commands() {
        return List.of(ChaosCommand.command());
    }
}
