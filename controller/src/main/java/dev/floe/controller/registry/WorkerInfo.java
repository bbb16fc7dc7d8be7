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
        Instant lastHeartbeat) {

    public dev.floe.proto.Worker toProto() {
        dev.floe.proto.Worker.Builder b = dev.floe.proto.Worker.newBuilder()
                .setId(id)
                .setAddress(address.toString())
                // Every worker in the view takes invocations: the link has no report for draining yet.
                .setState(dev.floe.proto.Worker.State.READY)
                .setMemoryMb(memoryMb)
                .setMemoryUsedMb(usedMb)
                .setEnvironments(environments)
                .setSandbox(sandbox)
                .setConnectedAt(timestamp(connectedAt));
        if (lastHeartbeat != null) {
            b.setLastHeartbeat(timestamp(lastHeartbeat));
        }
        return b.build();
    }

    private static com.google.protobuf.Timestamp timestamp(Instant instant) {
        return com.google.protobuf.Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
