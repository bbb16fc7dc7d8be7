package dev.floe.controller.registry;

import dev.floe.common.HostPort;
import dev.floe.proto.Sandbox;
import java.time.Instant;

/**
 * A connected worker, as of the moment it was read.
 *
 * @param usedMb the memory of its environments that are not retired, by the controller's count
 * @param reportedUsedMb the memory in use the worker reported in its last heartbeat
 * @param lastHeartbeat null until its first heartbeat
 */
public record WorkerInfo(
        String id,
        HostPort address,
        int memoryMb,
        int usedMb,
        int reportedUsedMb,
        int environments,
        Sandbox sandbox,
        Instant connectedAt,
        Instant lastHeartbeat) {}
