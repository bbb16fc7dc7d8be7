package dev.floe.controller.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.controller.async.RetryPolicy.Ending;
import dev.floe.controller.async.RetryPolicy.Next;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RetryPolicy lambda = RetryPolicy.LAMBDA_DEFAULT;

    @Test
    void aFunctionErrorIsRetriedTwiceAfterOneThenTwoMinutesThenDeadLettered() {
        assertEquals(new Next.Retry(Duration.ofMinutes(1), true), lambda.after(Ending.FUNCTION_ERROR, 1, 0, Duration.ZERO));
        assertEquals(new Next.Retry(Duration.ofMinutes(2), true), lambda.after(Ending.FUNCTION_ERROR, 2, 0, Duration.ofMinutes(1)));
        Next third = lambda.after(Ending.FUNCTION_ERROR, 3, 0, Duration.ofMinutes(3));
        assertEquals("retries exhausted after 3 attempts", assertInstanceOf(Next.DeadLetter.class, third).reason());
    }

    @Test
    void aLostWorkerIsASystemErrorRetriedLikeAThrottleWithoutUsingARetry() {
        assertEquals(new Next.Retry(Duration.ofSeconds(1), false), lambda.after(Ending.WORKER_LOST, 1, 0, Duration.ZERO));
        assertEquals(new Next.Retry(Duration.ofSeconds(4), false), lambda.after(Ending.WORKER_LOST, 3, 2, Duration.ZERO));
        assertInstanceOf(Next.DeadLetter.class, lambda.after(Ending.WORKER_LOST, 3, 2, Duration.ofHours(6)),
                "only the maximum age ends it");
    }

    @Test
    void throttlesBackOffFromOneSecondToFiveMinutesWithoutUsingRetries() {
        assertEquals(new Next.Retry(Duration.ofSeconds(1), false), lambda.after(Ending.THROTTLED, 0, 0, Duration.ZERO));
        assertEquals(new Next.Retry(Duration.ofSeconds(8), false), lambda.after(Ending.THROTTLED, 0, 3, Duration.ZERO));
        assertEquals(new Next.Retry(Duration.ofMinutes(5), false), lambda.after(Ending.THROTTLED, 0, 40, Duration.ZERO));
    }

    @Test
    void aRetryThatWouldRunPastTheMaximumAgeDeadLettersNow() {
        Next next = lambda.after(Ending.THROTTLED, 0, 40, Duration.ofHours(6).minusMinutes(1));
        assertTrue(assertInstanceOf(Next.DeadLetter.class, next).reason().contains("maximum event age"));
        assertInstanceOf(Next.DeadLetter.class, lambda.after(Ending.FUNCTION_ERROR, 1, 0, Duration.ofHours(6)));
    }

    @Test
    void successIsDoneAndAnEventThatCannotRunIsDeadLetteredAtOnce() {
        assertEquals(new Next.Done(), lambda.after(Ending.SUCCEEDED, 1, 0, Duration.ZERO));
        assertInstanceOf(Next.DeadLetter.class, lambda.after(Ending.HOPELESS, 1, 0, Duration.ZERO));
    }

    @Test
    void zeroRetriesDeadLettersAfterTheFirstFailure() {
        RetryPolicy none = new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1));
        assertEquals("retries exhausted after 1 attempt",
                assertInstanceOf(Next.DeadLetter.class, none.after(Ending.FUNCTION_ERROR, 1, 0, Duration.ZERO)).reason());
    }

    @Test
    void floeErrorTypesMapToEndings() {
        assertEquals(Ending.THROTTLED, Ending.of(ErrorType.TOO_MANY_REQUESTS));
        assertEquals(Ending.WORKER_LOST, Ending.of(ErrorType.SERVICE_UNAVAILABLE));
        assertEquals(Ending.HOPELESS, Ending.of(ErrorType.RESOURCE_NOT_FOUND));
        assertEquals(Ending.FUNCTION_ERROR, Ending.of(ErrorType.SERVICE));
    }

    @Test
    void outOfRangeSettingsAreRefusedWithWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1)));
        assertTrue(e.getMessage().contains("retries"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO));
    }

    @Test
    void aFunctionsEventInvokeConfigChangesOnlyTheRetriesAndTheMaximumAge() {
        RetryPolicy none = lambda.with(java.util.OptionalInt.of(0), java.util.Optional.of(Duration.ofMinutes(10)));
        assertInstanceOf(Next.DeadLetter.class, none.after(Ending.FUNCTION_ERROR, 1, 0, Duration.ZERO));
        assertInstanceOf(Next.DeadLetter.class, none.after(Ending.THROTTLED, 0, 0, Duration.ofMinutes(10)));
        assertEquals(lambda.throttleDelay(), none.throttleDelay());
        assertEquals(lambda, lambda.with(java.util.OptionalInt.empty(), java.util.Optional.empty()));
    }
}
