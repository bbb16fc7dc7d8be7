package dev.floe.chaos;

import java.util.Map;
import java.util.Set;

/**
 * What one kind of load counted from its side.
 *
 * @param accepted invocations the fleet took (for synchronous load: every call made; for asynchronous
 *     load: every invocation the controller answered with an id)
 * @param completed calls answered with the function's own result, or asynchronous invocations that ended succeeded
 * @param failedCleanly calls answered with an error, by error type or gRPC status; for asynchronous load the
 *     accepted invocations that ended in the dead-letter list, by reason
 * @param hung calls not answered by the client's deadline, or accepted asynchronous invocations not final by
 *     the harness's deadline: must be 0
 * @param mustHaveRun sequence numbers the function's records must show (completed ones, or every accepted
 *     asynchronous one)
 * @param refused submissions turned away and so never accepted (the controller down or restarting), by error
 *     type or gRPC status; asynchronous load only
 * @param retried accepted asynchronous invocations that took more than one attempt
 */
record Tally(String kind, long accepted, long completed, Map<String, Long> failedCleanly, long hung, Set<Long> mustHaveRun,
        Map<String, Long> refused, long retried) {
    /** A load with no refusals apart from failed calls, and no retries: the synchronous one. */
    Tally(String kind, long accepted, long completed, Map<String, Long> failedCleanly, long hung, Set<Long> mustHaveRun) {
        this(kind, accepted, completed, failedCleanly, hung, mustHaveRun, Map.of(), 0);
    }

    long failedTotal() {
        return failedCleanly.values().stream().mapToLong(Long::longValue).sum();
    }

    long refusedTotal() {
        return refused.values().stream().mapToLong(Long::longValue).sum();
    }
}
