package dev.floe.worker.environment;

import com.google.protobuf.Timestamp;
import dev.floe.proto.Environment;
import java.time.Instant;

/** A picture of one environment at one moment, as the worker reports it. */
public record EnvironmentView(
        String id,
        String function,
        int revision,
        String revisionId,
        EnvironmentState state,
        long pid,
        int memoryMb,
        Instant since,
        Instant lastUsed,
        long invocations,
        String retireReason,
        boolean provisioned) {

    public Environment toProto(String workerId) {
        return Environment.newBuilder()
                .setId(id)
                .setFunction(function)
                .setRevision(revision)
                .setRevisionId(revisionId)
                .setWorkerId(workerId)
                .setState(state.toProto())
                .setPid((int) pid)
                .setMemoryMb(memoryMb)
                .setSince(timestamp(since))
                .setLastUsed(timestamp(lastUsed))
                .setInvocations(invocations)
                .setRetireReason(retireReason)
                .setProvisioned(provisioned)
                .build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
