package dev.floe.worker.environment;

/**
 * Why an environment was retired, as the fleet view, the logs and the {@code floe.worker.retirements}
 * meter say it ({@link #wireName()}).
 */
public enum RetireReason {
    /** Idle past the keep-alive policy's time. */
    IDLE("idle"),
    /** Its memory was needed for another environment. */
    MEMORY_PRESSURE("memory-pressure"),
    /** A newer revision (or the function's deletion) replaced it. */
    REVISION("revision"),
    /** The worker is shutting down. */
    SHUTDOWN("shutdown"),
    /** Its invocation ran past the function's timeout. */
    TIMEOUT("timeout"),
    /** The kernel's OOM killer struck one of its processes. */
    OUT_OF_MEMORY("out-of-memory"),
    /** Its runtime ended on its own. */
    EXITED("exited"),
    /** Its runtime reported an init error. */
    INIT_ERROR("init-error"),
    /** Its init phase ran past the init timeout. */
    INIT_TIMEOUT("init-timeout"),
    /** The function's handler or runtime cannot be run. */
    INVALID_ENTRYPOINT("invalid-entrypoint"),
    /** Its code or sandbox could not be prepared, or the runtime not launched, in time. */
    START_FAILED("start-failed"),
    /** Its runtime hung up while waiting for work. */
    RUNTIME_DISCONNECTED("runtime-disconnected"),
    /** It could not be thawed for an invocation. */
    THAW_FAILED("thaw-failed"),
    /** It could not be frozen. */
    FREEZE_FAILED("freeze-failed");

    private final String wireName;

    RetireReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
