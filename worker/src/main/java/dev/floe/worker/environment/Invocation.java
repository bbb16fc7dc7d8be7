package dev.floe.worker.environment;

import java.util.concurrent.CompletableFuture;

/**
 * One invocation on its way through an environment. Created by the pool, completed exactly once by
 * the environment (response, error, timeout, crash) or by the pool (no room).
 */
public final class Invocation {
    private final dev.floe.proto.Function function;
    private final InvocationRequest request;
    private final CompletableFuture<InvocationResult> result = new CompletableFuture<>();
    private boolean cold;
    private long deliveredNanos;
    private long logStart;

    /** Placed by the controller on an idle environment: refused rather than started cold. */
    private final boolean warmOnly;

    Invocation(dev.floe.proto.Function function, InvocationRequest request, boolean warmOnly) {
        this.function = function;
        this.request = request;
        this.warmOnly = warmOnly;
    }

    boolean warmOnly() {
        return warmOnly;
    }

    dev.floe.proto.Function function() {
        return function;
    }

    public InvocationRequest request() {
        return request;
    }

    public String requestId() {
        return request.requestId();
    }

    public CompletableFuture<InvocationResult> result() {
        return result;
    }

    boolean isDone() {
        return result.isDone();
    }

    boolean cold() {
        return cold;
    }

    void markCold() {
        this.cold = true;
    }

    long deliveredNanos() {
        return deliveredNanos;
    }

    long logStart() {
        return logStart;
    }

    void delivered(long nanos, long logStart) {
        this.deliveredNanos = nanos;
        this.logStart = logStart;
    }

    void complete(InvocationResult value) {
        result.complete(value);
    }

    void fail(Throwable failure) {
        result.completeExceptionally(failure);
    }
}
