package dev.floe.controller.registry;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.concurrent.TimeUnit;

/** A channel that only records whether it was shut down; the fleet view never calls through it. */
public final class RecordingChannel extends ManagedChannel {
    final String target;
    private volatile boolean shutdown;

    public RecordingChannel(String target) {
        this.target = target;
    }

    @Override
    public ManagedChannel shutdown() {
        shutdown = true;
        return this;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public ManagedChannel shutdownNow() {
        return shutdown();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return shutdown;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        throw new UnsupportedOperationException("a recording channel makes no calls");
    }

    @Override
    public String authority() {
        return target;
    }
}
