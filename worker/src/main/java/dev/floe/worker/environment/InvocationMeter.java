package dev.floe.worker.environment;

import dev.floe.worker.sandbox.Cell;

/**
 * Measures an environment's invocations as Lambda reports them: the duration, the billed duration
 * (with a cold start's init phase), the memory used, the END and REPORT lines of the log, and the
 * result the caller sees. Confined to the environment's event loop; it only measures and writes, so
 * the environment still decides when an invocation ends and tells the pool first.
 */
final class InvocationMeter {
    private final String environmentId;
    private final int memoryMb;
    private final EnvironmentHost host;

    InvocationMeter(String environmentId, int memoryMb, EnvironmentHost host) {
        this.environmentId = environmentId;
        this.memoryMb = memoryMb;
        this.host = host;
    }

    /**
     * Writes END and REPORT for {@code invocation}, which the runtime answered (or which failed), counts
     * it, and returns what its caller sees.
     *
     * @param initDurationMs the environment's init phase, billed with its cold start
     * @param cell the environment's cgroups, for the memory peak; null if already released
     */
    InvocationResult finished(Invocation invocation, byte[] payload, String functionError, String errorType,
                              double initDurationMs, Cell cell, EnvironmentLog log) {
        long nanos = host.ticker().getAsLong() - invocation.deliveredNanos();
        double durationMs = nanos / 1e6;
        double initMs = invocation.cold() ? initDurationMs : 0;
        // Lambda bills the init phase of a cold start with the invocation, rounded up to the millisecond.
        long billedMs = (long) Math.ceil(durationMs + initMs);
        long peak = cell == null ? -1 : cell.memoryPeakBytes();
        int maxMemoryMb = peak < 0 ? 0 : (int) Math.ceil(peak / (1024.0 * 1024.0));
        log.end(invocation.requestId(), durationMs, billedMs, memoryMb, maxMemoryMb, initMs);
        String tail = invocation.request().tailLog() ? log.tail(invocation.logStart()) : "";
        host.metrics().invoked(nanos);
        return new InvocationResult(invocation.requestId(), payload, functionError, errorType,
                invocation.cold(), environmentId, durationMs, billedMs, initMs, memoryMb, maxMemoryMb, tail);
    }

    /**
     * Writes the init phase's REPORT for {@code first}, the cold start whose init phase failed, and
     * returns what its caller sees: the init error, billed for the init phase so far.
     *
     * @param spawnedNanos when the runtime was started, or 0 if it never was
     * @param log the environment's log; null if it has none yet
     */
    InvocationResult initFailed(Invocation first, byte[] document, String errorType, long spawnedNanos, EnvironmentLog log) {
        double initMs = spawnedNanos == 0 ? 0 : (host.ticker().getAsLong() - spawnedNanos) / 1e6;
        if (log != null) {
            log.initReport(initMs, errorType);
        }
        String tail = first.request().tailLog() && log != null ? log.tail(0) : "";
        return new InvocationResult(first.requestId(), document, Failures.UNHANDLED, errorType, true, environmentId,
                0, (long) Math.ceil(initMs), initMs, memoryMb, 0, tail);
    }

    /** What the caller of a provisioning start sees: an initialized environment, no invocation run. */
    InvocationResult provisioned(Invocation provisioning, double initDurationMs) {
        return new InvocationResult(provisioning.requestId(), new byte[0], "", "", true, environmentId,
                0, 0, initDurationMs, memoryMb, 0, "");
    }
}
