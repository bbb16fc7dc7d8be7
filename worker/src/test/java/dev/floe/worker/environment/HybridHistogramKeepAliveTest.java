package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The hybrid histogram's arithmetic (Shahrad et al., ATC'20) and the policy built on it. */
class HybridHistogramKeepAliveTest {
    private static final long MIN = IdleTimeHistogram.MINUTE_NANOS;

    private static IdleTimeHistogram histogram(long... idleMinutes) {
        IdleTimeHistogram h = new IdleTimeHistogram();
        for (long m : idleMinutes) {
            h.add(m * MIN + MIN / 2);
        }
        return h;
    }

    private static long[] repeat(long minutes, int times) {
        long[] a = new long[times];
        java.util.Arrays.fill(a, minutes);
        return a;
    }

    @Test
    void aFunctionCalledEvery30MinutesIsPrewarmedAfter27AndKeptFor8() {
        IdleTimeHistogram.Windows w = histogram(repeat(30, 20)).windows();

        // 5th percentile: bin 30, less 10% = 27 min; 99th: bin 30 ends at 31, plus 10% = 34.1, up to 35; 35 - 27 = 8.
        assertEquals(27 * MIN, w.prewarmNanos());
        assertEquals(8 * MIN, w.keepAliveNanos());
    }

    @Test
    void percentilesAreTakenOverTheBinsInOrder() {
        long[] idle = new long[100];
        for (int i = 0; i < 100; i++) {
            idle[i] = i < 5 ? 2 : i < 99 ? 10 : 60;
        }
        IdleTimeHistogram h = histogram(idle);

        assertEquals(2, h.percentileBin(0.05), "the 5th of 100 idle times is in bin 2");
        assertEquals(10, h.percentileBin(0.06));
        assertEquals(10, h.percentileBin(0.99), "the 99th is still in bin 10");
        assertEquals(60, h.percentileBin(1.0));
        IdleTimeHistogram.Windows w = h.windows();
        assertEquals(1 * MIN, w.prewarmNanos(), "2 min less 10% is 1.8, rounded down");
        assertEquals((13 - 1) * MIN, w.keepAliveNanos(), "bin 10 ends at 11, plus 10% is 12.1, rounded up to 13");
    }

    @Test
    void aFrequentFunctionIsKeptWithoutPrewarmingForTwoMinutes() {
        IdleTimeHistogram.Windows w = histogram(repeat(0, 50)).windows();

        assertEquals(0, w.prewarmNanos());
        assertEquals(2 * MIN, w.keepAliveNanos());
    }

    @Test
    void negativeIdleTimesCountInTheFirstBin() {
        IdleTimeHistogram h = new IdleTimeHistogram();
        h.add(-5 * MIN);
        assertEquals(1, h.samples());
        assertEquals(0, h.percentileBin(0.5));
    }

    @Test
    void fallsBackWithTooFewIdleTimes() {
        assertNull(histogram(repeat(30, IdleTimeHistogram.MIN_SAMPLES - 1)).windows());
    }

    @Test
    void fallsBackWhenTheBinsAreTooEvenToPredictFrom() {
        long[] idle = new long[240];
        for (int i = 0; i < 240; i++) {
            idle[i] = i;
        }
        IdleTimeHistogram even = histogram(idle);
        assertEquals(0, even.binCv(), 1e-9, "one idle time in every bin");
        assertNull(even.windows());
        assertTrue(histogram(repeat(30, 20)).binCv() > IdleTimeHistogram.MIN_CV, "a single peak is representative");
    }

    @Test
    void fallsBackWhenMostIdleTimesAreBeyondFourHours() {
        long[] idle = new long[20];
        for (int i = 0; i < 20; i++) {
            idle[i] = i < 11 ? 300 : 30;
        }
        IdleTimeHistogram h = histogram(idle);
        assertEquals(20, h.samples());
        assertNull(h.windows(), "11 of 20 beyond the range: the paper would forecast; Floe falls back");
        assertEquals(30, histogram(30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 300).percentileBin(0.99),
                "out-of-range idle times are not in the percentiles");
    }

    @Test
    void thePolicyLearnsFromArrivalsAndEndsAndPrewarms() {
        HybridHistogramKeepAlive policy = new HybridHistogramKeepAlive(Duration.ofMinutes(10));
        assertEquals(0, policy.prewarmDelayNanos("timer"));
        KeepAlivePolicy.IdleEnvironment env = new KeepAlivePolicy.IdleEnvironment("e", "timer", 128, 0, 1, 100);
        assertFalse(policy.expired(env, 10 * MIN - 1), "the fallback keeps it for 10 minutes");
        assertTrue(policy.expired(env, 10 * MIN));

        long t = 0;
        for (int i = 0; i < 12; i++) {
            policy.arrived("timer", t);
            policy.idle(new KeepAlivePolicy.IdleEnvironment("e", "timer", 128, t + 1000, 1, 100), t + 1000);
            t += 30 * MIN + 2000;
        }
        assertEquals(27 * MIN, policy.prewarmDelayNanos("timer"), "11 idle times of 30 minutes");
        KeepAlivePolicy.IdleEnvironment prewarmed = new KeepAlivePolicy.IdleEnvironment("p", "timer", 128, 27 * MIN, 0, 100);
        assertFalse(policy.expired(prewarmed, 35 * MIN - 1));
        assertTrue(policy.expired(prewarmed, 35 * MIN), "kept 8 minutes after its prewarm");
        assertEquals(0, policy.prewarmDelayNanos("other"), "another revision falls back");
        assertEquals("hybrid-histogram:10m", KeepAlivePolicy.parse("hybrid-histogram").toString());
        assertTrue(policy.fleetWide());
    }

    @Test
    void withSeveralEnvironmentsEachIdleTimeIsFromTheMostRecentlyIdleOne() {
        HybridHistogramKeepAlive policy = new HybridHistogramKeepAlive(Duration.ofMinutes(10));
        long t = 0;
        // Every hour a burst of two at once: both environments idle an hour; the second arrival's
        // idle time is not the seconds since the first one's (which the paper's per-application
        // idle time would give) but its own environment's hour.
        for (int i = 0; i < 12; i++) {
            policy.arrived("burst", t);
            policy.arrived("burst", t + 1000);
            policy.idle(new KeepAlivePolicy.IdleEnvironment("a", "burst", 128, t + 2000, 1, 100), t + 2000);
            policy.idle(new KeepAlivePolicy.IdleEnvironment("b", "burst", 128, t + 3000, 1, 100), t + 3000);
            t += 60 * MIN + 5000;
        }
        // 22 idle times of an hour and a few microseconds: bin 60, prewarm 54 minutes.
        assertEquals(54 * MIN, policy.prewarmDelayNanos("burst"));
    }
}
