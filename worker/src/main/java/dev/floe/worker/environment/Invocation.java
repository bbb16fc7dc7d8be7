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
    private final boolean provisioning;
    private boolean cold;
    private long deliveredNanos;
    private long logStart;

    /** Placed by the controller on an idle environment: refused rather than started cold. */
    private final boolean warmOnly;

    Invocation(dev.floe.proto.Function function, InvocationRequest request) {
        this(function, request, false, false);
    }

    Invocation(dev.floe.proto.Function function, InvocationRequest request, boolean warmOnly) {
        this(function, request, warmOnly, false);
    }

    private Invocation(dev.floe.proto.Function function, InvocationRequest request, boolean warmOnly, boolean provisioning) {
        this.function = function;
        this.request = request;
        this.warmOnly = warmOnly;
        this.provisioning = provisioning;
    }

    /**
     * Not an invocation: it starts an environment and completes when its init phase has run, without
     * ever reaching the runtime (provisioned concurrency runs init ahead of invocations, as Lambda's does).
     */
    static Invocation provisioning(dev.floe.proto.Function function, String environmentId) {
        return new Invocation(function, new InvocationRequest("provision-" + environmentId, new byte[0], false, ""), false, true);
    }

    boolean provisioning() {
        return provisioning;
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
