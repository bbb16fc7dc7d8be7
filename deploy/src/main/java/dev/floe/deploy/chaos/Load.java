package dev.floe.deploy.chaos;

import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;

/**
 * A kind of load the harness keeps on the fleet while it breaks things. {@link SyncLoad} is the
 * synchronous one. The hook for asynchronous load: a {@code Load} whose {@link #start} queues
 * invocations with {@code Invoke(async)} and whose {@link #stop} waits (bounded) for each accepted
 * id to settle, then returns a {@link Tally} whose {@code mustHaveRun} holds every accepted
 * sequence number (at least once is the contract) and whose {@code completed}/{@code failedCleanly}
 * come from the invocation's final status (succeeded, or in the dead-letter list). Add it to
 * {@link ChaosRun.Builder#load}; the harness checks {@code mustHaveRun} against the records.
 */
interface Load {
    /** Starts sending; {@code sequences} hands out the numbers each invocation carries as {@code seq}. */
    void start(HostPort endpoint, ClusterToken token, String function, java.util.function.LongSupplier sequences);

    /** Stops sending, waits for what is in flight, and counts. */
    Tally stop() throws InterruptedException;
}
