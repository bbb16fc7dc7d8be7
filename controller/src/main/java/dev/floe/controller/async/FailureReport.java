package dev.floe.controller.async;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Reports a failure that repeats, such as a store that cannot write (a full disk fails every attempt
 * of a loop that polls ten times a second), once rather than on every attempt: the first failure with
 * its stack trace, then again only when the failure changes (another type or message), and once when
 * the work succeeds again, with how many times and for how long it failed. Thread-safe.
 */
final class FailureReport {
    private final System.Logger log;
    private final String what;
    private final LongSupplier nanos;
    private String current;
    private long failures;
    private long since;

    /** {@code what} says what failed, e.g. "the asynchronous dispatcher could not take invocations". */
    FailureReport(System.Logger log, String what) {
        this(log, what, System::nanoTime);
    }

    FailureReport(System.Logger log, String what, LongSupplier nanos) {
        this.log = log;
        this.what = what;
        this.nanos = nanos;
    }

    /** One more failure: logged if it is the first of a run, or not the one reported last. */
    synchronized void failed(Throwable failure) {
        String key = describe(failure);
        failures++;
        if (key.equals(current)) {
            return;
        }
        if (current == null) {
            since = nanos.getAsLong();
            log.log(System.Logger.Level.ERROR, what + ": " + key + " (reported once: the same failure again is counted,"
                    + " not logged, until it changes or ends)", failure);
        } else {
            log.log(System.Logger.Level.ERROR, what + ": now " + key + " (before: " + current + ", " + (failures - 1)
                    + " time(s) in " + elapsed() + ")");
        }
        current = key;
    }

    /** The work succeeded: if it was failing, says so once, with the count. */
    synchronized void succeeded() {
        if (current == null) {
            return;
        }
        log.log(System.Logger.Level.INFO, what + ": works again, after failing " + failures + " time(s) in " + elapsed()
                + " (last: " + current + ")");
        current = null;
        failures = 0;
    }

    /** Whether the last outcome was a failure. */
    synchronized boolean failing() {
        return current != null;
    }

    private String elapsed() {
        Duration d = Duration.ofNanos(nanos.getAsLong() - since);
        return d.toSeconds() >= 1 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** The innermost cause's type and message: what a full disk, say, keeps giving. */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : ": " + root.getMessage().lines().findFirst().orElse("");
        return root.getClass().getSimpleName() + message;
    }
}
