package dev.floe.controller.cluster;

import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** One channel to each other controller, by its gRPC address, opened on first use; all shut down with it. */
public final class PeerChannels implements AutoCloseable {
    private final Function<HostPort, ManagedChannel> open;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public PeerChannels(Function<HostPort, ManagedChannel> open) {
        this.open = open;
    }

    public ManagedChannel to(String address) {
        return channels.computeIfAbsent(address, a -> open.apply(HostPort.parse(a)));
    }

    @Override
    public void close() {
        channels.values().forEach(c -> Lifecycles.shutdown(c, Duration.ofSeconds(2)));
        channels.clear();
    }
}
