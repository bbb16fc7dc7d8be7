package dev.floe.controller.registry;

import dev.floe.common.HostPort;
import dev.floe.proto.Environment;
import dev.floe.proto.Sandbox;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One connected worker and what it reported. Mutable; guarded by {@link FleetView}'s lock. */
final class WorkerEntry {
    final String id;
    /** The worker process's run: the same for its reconnections, different for another worker with this id. */
    final String instance;
    final HostPort address;
    final int memoryMb;
    final Sandbox sandbox;
    final WorkerConnection connection;
    final Instant connectedAt;
    final Map<String, Environment> environments = new LinkedHashMap<>();
    /**
     * Environments answered while last reported warm, to the count of invocations their BUSY report
     * for the answered one will carry: that report, still on its way, is stale when it arrives.
     */
    final Map<String, Long> answeredThrough = new java.util.HashMap<>();
    Instant lastReport;
    Instant lastHeartbeat;
    int reportedUsedMb;

    WorkerEntry(String id, String instance, HostPort address, int memoryMb, Sandbox sandbox, WorkerConnection connection,
            Instant now) {
        this.id = id;
        this.instance = instance;
        this.address = address;
        this.memoryMb = memoryMb;
        this.sandbox = sandbox;
        this.connection = connection;
        this.connectedAt = now;
        this.lastReport = now;
    }

    WorkerInfo info(dev.floe.controller.placement.WorkerCapacity capacity) {
        return new WorkerInfo(id, address, memoryMb, capacity.usedMb(), reportedUsedMb, environments.size(), sandbox,
                connectedAt, lastHeartbeat);
    }
}
