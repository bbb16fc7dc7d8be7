package dev.floe.controller.async;

import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import java.time.Duration;

/**
 * What follows an asynchronous invocation's attempt. Pure: no clock, no store; the dispatcher gives
 * it the facts and applies its answer.
 *
 * <p>The defaults are Lambda's for asynchronous invocation: two retries after a function error, the
 * first after one minute and the second after two; throttles, a fleet with no worker and the loss of
 * the worker running it (a system error, not the function's) are retried with a backoff from one
 * second up to five minutes without using up a retry; an event older than six hours is not run (Lambda's "Error handling and automatic retries" and "Configuring error
 * handling for asynchronous invocation").
 *
 * @param retries retries after a failed attempt, 0..2 as Lambda's MaximumRetryAttempts
 * @param retryDelay the wait before the first retry; each later one waits twice as long as the one before
 * @param throttleDelay the first wait after a throttle; it doubles up to {@code maxThrottleDelay}
 * @param maxEventAge an event accepted longer ago than this is dead-lettered instead of run
 */
public record RetryPolicy(int retries, Duration retryDelay, Duration throttleDelay, Duration maxThrottleDelay, Duration maxEventAge) {
    public static final RetryPolicy LAMBDA_DEFAULT = new RetryPolicy(2, Duration.ofMinutes(1), Duration.ofSeconds(1),
            Duration.ofMinutes(5), Duration.ofHours(6));

    public RetryPolicy {
        Check.range("retries", retries, 0, 2);
        Check.nonNegative("retryDelay", retryDelay);
        Check.nonNegative("throttleDelay", throttleDelay);
        Check.nonNegative("maxThrottleDelay", maxThrottleDelay);
        Check.positive("maxEventAge", maxEventAge);
    }

    /** This policy with other retries and maximum event age, when given (a function's event invoke config). */
    public RetryPolicy with(java.util.OptionalInt retries, java.util.Optional<Duration> maxEventAge) {
        return new RetryPolicy(retries.orElse(this.retries), retryDelay, throttleDelay, maxThrottleDelay, maxEventAge.orElse(this.maxEventAge));
    }

    /** How an attempt ended, as far as retrying is concerned. */
    public enum Ending {
        /** The function answered without an error. */
        SUCCEEDED,
        /** The function answered with an error, or its environment failed while running it. */
        FUNCTION_ERROR,
        /**
         * The worker running it was lost or could not be reached: it may or may not have run. A system
         * error, as Lambda's 500-series: retried like a throttle, using no retry, so a fleet losing
         * workers cannot dead-letter an event that never reached its function.
         */
        WORKER_LOST,
        /** Floe had no room or no worker for it: it did not start, so it uses no retry. */
        THROTTLED,
        /** It can never succeed as it is (its function is gone, or the request is invalid). */
        HOPELESS;

        /** The ending for a Floe error type, from an attempt that did not get an answer. */
        public static Ending of(ErrorType type) {
            return switch (type) {
                case TOO_MANY_REQUESTS, WORKER_FULL -> THROTTLED;
                case SERVICE_UNAVAILABLE -> WORKER_LOST;
                case RESOURCE_NOT_FOUND, INVALID_PARAMETER, REQUEST_TOO_LARGE -> HOPELESS;
                // Anything else (a fault inside Floe) counts as a failed attempt, so it cannot loop forever.
                default -> FUNCTION_ERROR;
            };
        }
    }

    /** What to do next. */
    public sealed interface Next {
        /** Keep the answer: the invocation is done. */
        record Done() implements Next {}

        /**
         * Run it again after {@code delay}.
         *
         * @param usedRetry whether the attempt counts against {@link #retries}
         */
        record Retry(Duration delay, boolean usedRetry) implements Next {}

        /** Move it to the dead-letter list. */
        record DeadLetter(String reason) implements Next {}
    }

    /**
     * The decision after an attempt.
     *
     * @param attempts attempts that counted so far, including this one
     * @param throttles throttled attempts so far, excluding this one
     * @param age how long ago the event was accepted
     */
    public Next after(Ending ending, int attempts, int throttles, Duration age) {
        Check.range("attempts", attempts, 0, Integer.MAX_VALUE);
        return switch (ending) {
            case SUCCEEDED -> new Next.Done();
            case HOPELESS -> new Next.DeadLetter("it cannot run");
            case THROTTLED, WORKER_LOST -> {
                Duration delay = doubled(throttleDelay, throttles, maxThrottleDelay);
                yield tooOld(age.plus(delay)) ? new Next.DeadLetter(ageReason()) : new Next.Retry(delay, false);
            }
            case FUNCTION_ERROR -> {
                if (attempts > retries) {
                    yield new Next.DeadLetter("retries exhausted after " + attempts + " attempt" + (attempts == 1 ? "" : "s"));
                }
                Duration delay = doubled(retryDelay, Math.max(0, attempts - 1), Duration.ofDays(1));
                yield tooOld(age.plus(delay)) ? new Next.DeadLetter(ageReason()) : new Next.Retry(delay, true);
            }
        };
    }

    /** Whether an event of this age is too old to run. */
    public boolean tooOld(Duration age) {
        return age.compareTo(maxEventAge) > 0;
    }

    /** The reason recorded when an event is dead-lettered for its age. */
    public String ageReason() {
        return "older than the maximum event age (" + maxEventAge.toSeconds() + " s)";
    }

    private static Duration doubled(Duration first, int times, Duration cap) {
        Duration d = first;
        for (int i = 0; i < times && d.compareTo(cap) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(cap) > 0 ? cap : d;
    }
}
