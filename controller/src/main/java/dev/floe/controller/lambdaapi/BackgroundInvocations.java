package dev.floe.controller.lambdaapi;

import com.google.protobuf.ByteString;
import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.InvokeResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * {@link AsyncInvocations} that starts each invocation on the {@link Invoker} at once and lets it run
 * in the background, at most {@code maxInFlight} at a time (more are refused with
 * {@code TooManyRequestsException}). Each runs once; its outcome (a function error, or a refusal such
 * as a full fleet) goes to the controller's log, as Lambda's goes to the function's log. Nothing is kept
 * across a restart: that durability is a queue's job, behind the same interface.
 */
public final class BackgroundInvocations implements AsyncInvocations {
    private static final System.Logger LOG = System.getLogger(BackgroundInvocations.class.getName());

    private final Invoker invoker;
    private final int maxInFlight;
    private final Semaphore room;
    private final java.util.Set<CompletableFuture<InvokeResponse>> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public BackgroundInvocations(Invoker invoker, int maxInFlight) {
        this.invoker = Check.notNull("invoker", invoker);
        this.maxInFlight = Check.range("maxInFlight", maxInFlight, 1, 1_000_000);
        this.room = new Semaphore(maxInFlight);
    }

    @Override
    public String submit(String function, ByteString payload) {
        if (closed) {
            throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "the controller is stopping; retry against a running one");
        }
        if (!room.tryAcquire()) {
            throw new FloeException(ErrorType.TOO_MANY_REQUESTS, maxInFlight
                    + " asynchronous invocations are already running; retry later");
        }
        String requestId = java.util.UUID.randomUUID().toString();
        CompletableFuture<InvokeResponse> result;
        try {
            result = invoker.invoke(new InvokeCall(function, payload, false, "", null));
        } catch (RuntimeException e) {
            room.release();
            throw e;
        }
        running.add(result);
        result.whenComplete((response, failure) -> {
            running.remove(result);
            room.release();
            if (failure != null) {
                FloeException floe = FloeException.fromThrowable(failure instanceof java.util.concurrent.CompletionException c
                        && c.getCause() != null ? c.getCause() : failure);
                LOG.log(System.Logger.Level.WARNING, "asynchronous invocation " + requestId + " of " + function
                        + " did not run: " + floe.type().wireName() + ": " + floe.getMessage());
            } else if (!response.getFunctionError().isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "asynchronous invocation " + requestId + " of " + function + " (request "
                        + response.getRequestId() + ") failed: " + response.getErrorType());
            }
        });
        return requestId;
    }

    /** Invocations started and not yet answered. */
    public int inFlight() {
        return running.size();
    }

    /** Stops taking invocations and cancels the ones still waiting for a worker's answer. */
    @Override
    public void close() {
        closed = true;
        running.forEach(r -> r.cancel(false));
    }
}
