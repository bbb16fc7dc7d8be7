package dev.floe.worker.runtimeapi;

/** A runtime's pending {@code GET /runtime/invocation/next}: answered once, with an event or a refusal. */
public interface NextWaiter {
    void deliver(InvocationEvent event);

    void reject(Reply reply);

    /** False once the runtime's connection closed. */
    boolean isOpen();
}
