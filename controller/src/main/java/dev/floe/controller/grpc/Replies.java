package dev.floe.controller.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Answers calls: a value, or a failure as a Status a user can act on, never a stack trace. */
public final class Replies {
    private static final System.Logger LOG = System.getLogger(Replies.class.getName());

    private Replies() {}

    /** Runs {@code work} and answers the unary call with its value or its failure. */
    public static <T> void unary(StreamObserver<T> observer, Supplier<T> work) {
        T value;
        try {
            value = work.get();
        } catch (RuntimeException e) {
            observer.onError(status(e));
            return;
        }
        observer.onNext(value);
        observer.onCompleted();
    }

    /** The Status for a failure: a Floe error as it is, anything else as a {@code ServiceException}, logged. */
    static StatusRuntimeException status(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof FloeException floe) {
            return floe.toStatus();
        }
        if (t instanceof StatusRuntimeException || t instanceof StatusException) {
            return FloeException.fromThrowable(t).toStatus();
        }
        LOG.log(System.Logger.Level.ERROR, "unexpected failure while handling a call", t);
        return new FloeException(ErrorType.SERVICE, "the controller failed to handle the request ("
                + t.getClass().getSimpleName() + "); see the controller's log").toStatus();
    }
}
