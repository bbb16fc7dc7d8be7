package dev.floe.controller.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Concurrency;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lambda's concurrency rules: the fleet's limit, reservations, and the bounded wait before a refusal. */
class AdmissionTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        timers.shutdownNow();
    }

    private Admission admission(int concurrency, int queue, Duration wait) {
        return new Admission(new Admission.Limits(concurrency, queue, wait), timers);
    }

    private static Concurrency reserved(int n) {
        return Concurrency.newBuilder().setReserved(n).build();
    }

    private static FloeException refusal(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        return assertInstanceOf(FloeException.class, e.getCause());
    }

    @Test
    void overTheFleetsLimitAnInvocationWaitsAndTakesTheFirstFreedSlot() {
        Admission admission = admission(2, 10, LONG);
        Admission.Permit first = admission.admit("a").join();
        admission.admit("b").join();

        CompletableFuture<Admission.Permit> third = admission.admit("c");
        assertFalse(third.isDone());
        assertEquals(1, admission.waiting());

        first.release();
        first.release(); // twice gives back one slot only

        assertTrue(third.isDone());
        assertEquals(0, admission.waiting());
        assertEquals(1, admission.running("c"));
        assertFalse(admission.admit("d").isDone(), "the slot went to c, the limit holds");
    }

    @Test
    void controllersOfAClusterEachRunTheirShareOfTheUnreservedConcurrency() {
        Admission admission = admission(12, 10, LONG);
        admission.reserve("r", reserved(2));
        admission.shareAmong(3);

        for (int i = 0; i < 4; i++) {
            assertTrue(admission.admit("f" + i).isDone(), "a third of the 10 unreserved, rounded up: slot " + i);
        }
        assertFalse(admission.admit("f4").isDone(), "the fifth waits: the other two controllers run the rest");
        assertTrue(admission.admit("r").isDone(), "a function's reservation is its owner's to use whole");

        admission.shareAmong(1);
        assertTrue(admission.admit("f5").isDone(), "alone again, the controller runs the whole unreserved part");
    }

    @Test
    void whenTheWaitEndsTheRefusalIsTooManyRequestsWithARetryHint() {
        Admission admission = admission(1, 10, Duration.ofMillis(150));
        admission.admit("a").join();

        FloeException e = refusal(admission.admit("a"));

        assertEquals(ErrorType.TOO_MANY_REQUESTS, e.type());
        assertEquals(Duration.ofMillis(150), e.retryAfter().orElseThrow());
        assertTrue(e.getMessage().contains("ConcurrentInvocationLimitExceeded"), e.getMessage());
        assertEquals(0, admission.waiting(), "a refused invocation leaves the queue");
    }

    @Test
    void aFullQueueRefusesAtOnce() {
        Admission admission = admission(1, 1, LONG);
        admission.admit("a").join();
        CompletableFuture<Admission.Permit> queued = admission.admit("a");

        FloeException e = refusal(admission.admit("a"));

        assertTrue(e.getMessage().endsWith("the wait queue is full; retry after 30000 ms"), e.getMessage());
        assertFalse(queued.isDone(), "the one already waiting keeps its place");
    }

    @Test
    void aReservedFunctionRunsAtMostItsReservation() {
        Admission admission = admission(100, 10, Duration.ofMillis(100));
        admission.reserve("r", reserved(2));
        admission.admit("r").join();
        admission.admit("r").join();

        FloeException e = refusal(admission.admit("r"));

        assertTrue(e.getMessage().contains("reserved concurrency of 2"), e.getMessage());
        assertTrue(e.getMessage().contains("ReservedFunctionConcurrentInvocationLimitExceeded"), e.getMessage());
        assertTrue(admission.admit("other").isDone(), "other functions still run");
    }

    @Test
    void reservationsAreKeptOutOfTheSharedPool() {
        Admission admission = admission(20, 10, Duration.ofMillis(100));
        admission.reserve("r", reserved(18)); // 2 left: the minimum unreserved for a limit of 20
        admission.admit("x").join();
        admission.admit("y").join();

        assertEquals(ErrorType.TOO_MANY_REQUESTS, refusal(admission.admit("z")).type());
        assertTrue(admission.admit("r").isDone(), "the reservation is r's even when the shared pool is used up");
    }

    @Test
    void aReservationOfZeroStopsTheFunction() {
        Admission admission = admission(100, 10, Duration.ZERO);
        admission.reserve("off", reserved(0));

        assertEquals(ErrorType.TOO_MANY_REQUESTS, refusal(admission.admit("off")).type());
    }

    @Test
    void removingAReservationLetsWaitingInvocationsIn() {
        Admission admission = admission(100, 10, LONG);
        admission.reserve("r", reserved(1));
        admission.admit("r").join();
        CompletableFuture<Admission.Permit> waiting = admission.admit("r");

        admission.reserve("r", Concurrency.getDefaultInstance());

        assertTrue(waiting.isDone());
    }

    @Test
    void reservationsMustLeaveTheUnreservedMinimum() {
        Admission admission = admission(1_000, 10, LONG);
        admission.reserve("a", reserved(800));
        admission.checkReservation("a", reserved(900)); // its own 800 is replaced, not added to

        FloeException e = assertThrows(FloeException.class, () -> admission.checkReservation("b", reserved(101)));

        assertEquals(ErrorType.INVALID_PARAMETER, e.type());
        assertEquals("reserved concurrency: 101 (expected: at most 100: the fleet runs 1000 invocations at once, keeps 100"
                + " for functions without a reservation, and other functions reserve 800)", e.getMessage());
    }

    @Test
    void anInvocationWaitingForRoomIsWokenByAnEndingInvocationOrAFleetChange() {
        Admission admission = admission(10, 10, LONG);
        Admission.Permit running = admission.admit("a").join();
        CompletableFuture<Boolean> first = admission.awaitRoom("b", LONG, false);
        CompletableFuture<Boolean> second = admission.awaitRoom("c", LONG, false);

        running.release();
        assertTrue(first.join(), "one invocation ended: the oldest waiter tries again");
        assertFalse(second.isDone());

        admission.roomChanged();
        assertTrue(second.join());
    }

    @Test
    void anInvocationWaitingForRoomGivesUpWhenItsTimeEnds() {
        Admission admission = admission(10, 10, LONG);

        assertFalse(admission.awaitRoom("b", Duration.ofMillis(50), false).join());
        assertFalse(admission.awaitRoom("b", Duration.ZERO, false).join());
        assertEquals(0, admission.waiting());
    }
}
