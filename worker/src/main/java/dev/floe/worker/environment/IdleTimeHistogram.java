package dev.floe.worker.environment;

/**
 * One function's idle times (from the end of an invocation to the start of the next) in 1-minute
 * bins up to 4 hours, as the hybrid histogram policy keeps them (Shahrad et al., "Serverless in the
 * Wild", USENIX ATC'20, section 4.2), and the windows it derives from them. Pure arithmetic; not
 * thread-safe.
 */
public final class IdleTimeHistogram {
    /** The histogram's range: 240 bins of one minute, the paper's 4 hours. */
    public static final int BINS = 240;
    static final long MINUTE_NANOS = 60_000_000_000L;
    /** The head and tail percentiles: prewarm at the 5th, keep alive to the 99th. */
    static final double HEAD = 0.05;
    static final double TAIL = 0.99;
    /** The paper's 10% margin: prewarm 10% earlier, keep alive 10% longer. */
    static final double MARGIN = 0.10;
    /** Fewer idle times than this and the histogram says nothing yet (Floe's choice). */
    static final int MIN_SAMPLES = 10;
    /** The paper's representativeness check: the bin counts' coefficient of variation must exceed this. */
    static final double MIN_CV = 2.0;
    /**
     * When more than this share of idle times is beyond the range, the paper forecasts with ARIMA;
     * Floe falls back to the fixed keep-alive instead (a stated simplification).
     */
    static final double MAX_OUT_OF_BOUNDS = 0.5;

    private final long[] bins = new long[BINS];
    private long inBounds;
    private long outOfBounds;

    /** Counts one idle time; a negative one (the next invocation began before the last ended) counts as 0. */
    public void add(long idleNanos) {
        long minute = Math.max(0, idleNanos) / MINUTE_NANOS;
        if (minute >= BINS) {
            outOfBounds++;
        } else {
            bins[(int) minute]++;
            inBounds++;
        }
    }

    public long samples() {
        return inBounds + outOfBounds;
    }

    /** The coefficient of variation (standard deviation over mean) of the bin counts; 0 when empty. */
    public double binCv() {
        if (inBounds == 0) {
            return 0;
        }
        double mean = (double) inBounds / BINS;
        double squares = 0;
        for (long c : bins) {
            squares += (c - mean) * (c - mean);
        }
        return Math.sqrt(squares / BINS) / mean;
    }

    /** The bin holding the {@code p} quantile of the in-range idle times (0 for the first minute). */
    int percentileBin(double p) {
        long rank = Math.max(1, (long) Math.ceil(p * inBounds));
        long seen = 0;
        for (int i = 0; i < BINS; i++) {
            seen += bins[i];
            if (seen >= rank) {
                return i;
            }
        }
        return BINS - 1;
    }

    /**
     * The windows the histogram supports, or null when the policy should fall back: too few idle
     * times, too many beyond the range, or bin counts too even to predict from (CV at most 2).
     * Prewarm = 5th percentile's bin start less 10%, rounded down to a minute; keep-alive = 99th
     * percentile's bin end plus 10%, rounded up, less the prewarm window.
     */
    public Windows windows() {
        if (samples() < MIN_SAMPLES || outOfBounds > MAX_OUT_OF_BOUNDS * samples() || binCv() <= MIN_CV) {
            return null;
        }
        long prewarmMinutes = (long) Math.floor(percentileBin(HEAD) * (1 - MARGIN));
        long tailMinutes = (long) Math.ceil((percentileBin(TAIL) + 1) * (1 + MARGIN));
        return new Windows(prewarmMinutes * MINUTE_NANOS, (tailMinutes - prewarmMinutes) * MINUTE_NANOS);
    }

    /**
     * What to do after an invocation ends.
     *
     * @param prewarmNanos retire the environment now and start one this long after the end; 0 keeps it
     * @param keepAliveNanos how long the (kept or prewarmed) environment then stays idle
     */
    public record Windows(long prewarmNanos, long keepAliveNanos) {}
}
