package dev.floe.bench.load;

import java.util.concurrent.CompletableFuture;

/** Where a load sends its invocations: the controller's gRPC API, or Lambda's HTTP API. */
public interface LoadTarget extends AutoCloseable {
    /**
     * Starts one invocation of {@code function} with {@code payload}, without holding the calling thread;
     * the future completes with its outcome and never fails.
     */
    CompletableFuture<Outcome> invoke(String function, byte[] payload);

    /** What the load's report calls this target, e.g. "grpc". */
    String name();

    @Override
    void close();

    /**
     * How one invocation ended.
     *
     * @param error null when the function ran, else the refusal's type as the API names it
     *     ({@code TooManyRequestsException}, {@code ServiceException}, ...)
     * @param functionError the function's error ({@code Unhandled}, {@code Handled}) when it ran and failed, else null
     * @param cold whether it started a new environment; null when the API does not say (Lambda's HTTP API)
     * @param message with an error, what the refusal said
     */
    record Outcome(String error, String functionError, Boolean cold, String message) {
        Outcome(String error, String functionError, Boolean cold) {
            this(error, functionError, cold, null);
        }

        static Outcome refused(String error, String message) {
            return new Outcome(error, null, null, message);
        }
    }
}
