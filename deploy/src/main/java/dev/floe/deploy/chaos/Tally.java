package dev.floe.deploy.chaos;

import java.util.Map;
import java.util.Set;

/**
 * What one kind of load counted from its side.
 *
 * @param accepted invocations the fleet took (for synchronous load: every call made)
 * @param completed calls answered with the function's own result
 * @param failedCleanly calls answered with an error, by error type or gRPC status
 * @param hung calls not answered by the client's deadline: must be 0
 * @param mustHaveRun sequence numbers the function's records must show (completed ones, or every accepted
 *     asynchronous one)
 */
record Tally(String kind, long accepted, long completed, Map<String, Long> failedCleanly, long hung, Set<Long> mustHaveRun) {
    long failedTotal() {
        return failedCleanly.values().stream().mapToLong(Long::longValue).sum();
    }
}
