package dev.floe.worker.environment;

/**
 * What an invocation produced, as the caller sees it.
 *
 * @param payload the response body, or the error document when {@code functionError} is set
 * @param functionError empty on success, else {@code Unhandled}
 * @param errorType the error's type when {@code functionError} is set, e.g. {@code Runtime.ExitError}
 * @param initDurationMs the init phase of a cold start, else 0
 * @param maxMemoryUsedMb the environment's peak memory during the invocation
 * @param logTail the last 4 KB of the invocation's log, when asked for; else empty
 */
public record InvocationResult(
        String requestId,
        byte[] payload,
        String functionError,
        String errorType,
        boolean cold,
        String environmentId,
        double durationMs,
        long billedDurationMs,
        double initDurationMs,
        int memorySizeMb,
        int maxMemoryUsedMb,
        String logTail) {

    public boolean failed() {
        return !functionError.isEmpty();
    }
}
