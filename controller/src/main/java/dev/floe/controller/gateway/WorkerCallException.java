package dev.floe.controller.gateway;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How a call to a worker ended without an answer, in the terms the caller decides on: whether anything
 * ran, and so whether the work may go to another worker. {@link #error()} is what the invocation's caller
 * sees if it ends here.
 */
public final class WorkerCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the worker's side of the call came to. */
    public enum Outcome {
        /** The warm environment the invocation was placed on was gone; nothing ran. Place again without the worker. */
        GONE,
        /** The worker has no room now; nothing ran. Place elsewhere, or on it again after a wait. */
        FULL,
        /**
         * The worker could not be reached. As far as the transport can tell nothing ran, so the work may go
         * elsewhere; a connection that broke just after the request left makes a rare second run possible.
         */
        UNREACHABLE,
        /** The call was cut off after the worker may have started it (lost, deadline passed): not sent again. */
        MAY_HAVE_RUN,
        /** The worker answered with an error: the work ends with it. */
        FAILED
    }

    private final Outcome outcome;
    private final transient FloeException error;

    public WorkerCallException(Outcome outcome, FloeException error) {
        super(outcome + ": " + error.getMessage(), error);
        this.outcome = outcome;
        this.error = error;
    }

    public static WorkerCallException of(Outcome outcome, ErrorType type, String message) {
        return new WorkerCallException(outcome, new FloeException(type, message));
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The refusal the caller gets when the work ends with this outcome. */
    public FloeException error() {
        return error;
    }

    /** Whether nothing ran, so the work may be placed on another worker. */
    public boolean nothingRan() {
        return outcome == Outcome.GONE || outcome == Outcome.FULL || outcome == Outcome.UNREACHABLE;
    }

    /**
     * The outcome a failed future carries: a {@code WorkerCallException} as it is, any other failure
     * (the caller's own cancellation among them) as {@link Outcome#FAILED} with its Floe error.
     */
    public static WorkerCallException from(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof WorkerCallException w) {
            return w;
        }
        return new WorkerCallException(Outcome.FAILED, FloeException.fromThrowable(t));
    }
}
