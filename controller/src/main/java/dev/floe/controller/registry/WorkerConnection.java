package dev.floe.controller.registry;

/**
 * The controller's end of one worker's link, through which the fleet view talks back to the worker.
 * Implementations must be safe to call from any thread and must not block.
 */
public interface WorkerConnection {
    /**
     * Tells the worker to retire the function's environments except those of {@code keepRevisionIds}
     * (the latest first; empty: all).
     */
    void retireFunction(String function, java.util.Set<String> keepRevisionIds);

    /** Ends the link; the worker may connect and register again. Idempotent. */
    void close(String reason);
}
