package dev.floe.chaos;

import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;

/**
 * A kind of load the harness keeps on the fleet while it breaks things: {@link SyncLoad}, the
 * synchronous callers, and {@link AsyncLoad}, which queues invocations with {@code InvokeAsync} and
 * whose {@link #stop} waits (bounded) for each accepted one to be final. A load's {@link Tally}
 * names in {@code mustHaveRun} every sequence number the function's records must show; add further
 * kinds with {@link ChaosRun.Builder#load}.
 */
interface Load {
    /** Starts sending; {@code sequences} hands out the numbers each invocation carries as {@code seq}. */
    void start(java.util.List<HostPort> endpoints, ClusterToken token, String function, java.util.function.LongSupplier sequences);

    /** Stops sending, waits for what is in flight, and counts. */
    Tally stop() throws InterruptedException;
}
