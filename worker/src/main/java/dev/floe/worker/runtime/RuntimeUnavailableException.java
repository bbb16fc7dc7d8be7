package dev.floe.worker.runtime;

/** A function's runtime cannot start on this worker: the machine lacks its interpreter. */
public final class RuntimeUnavailableException extends RuntimeException {
    public RuntimeUnavailableException(String message) {
        super(message);
    }
}
