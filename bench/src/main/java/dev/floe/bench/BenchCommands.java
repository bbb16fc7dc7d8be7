package dev.floe.bench;

import dev.floe.client.cli.CommandProvider;
import dev.floe.client.cli.FloeCommand;
import java.util.List;

/** The benchmarks' commands, which the launcher finds when this module's jar is on its class path. */
public final class BenchCommands implements CommandProvider {
    @Override
    public List<FloeCommand> commands() {
        return List.of(Benchmark.command(), FleetBenchmark.command(), AsyncBenchmark.command(), RuntimeBenchmark.command(),
                PlacementBenchmark.command(), LambdaApiBenchmark.command(), StreamBenchmark.command(),
                ThroughputBenchmark.command(), dev.floe.bench.load.LoadCommand.command(), ClusterBenchmark.command());
    }
}
