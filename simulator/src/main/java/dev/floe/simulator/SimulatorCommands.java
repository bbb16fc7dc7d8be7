package dev.floe.simulator;

import dev.floe.client.cli.CommandProvider;
import dev.floe.client.cli.FloeCommand;
import java.util.List;

/** {@code floe simulate}, which the launcher finds when this module's jar is on its class path. */
public final class SimulatorCommands implements CommandProvider {
    @Override
    public List<FloeCommand> commands() {
        return List.of(SimulateCommand.command());
    }
}
