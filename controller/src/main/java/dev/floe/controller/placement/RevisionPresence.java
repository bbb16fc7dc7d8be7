package dev.floe.controller.placement;

/**
 * What one worker holds of one revision.
 *
 * @param warm environments of the revision that are IDLE or FROZEN, ready for an invocation
 * @param warmMb their memory
 * @param busy environments of the revision running an invocation
 * @param promised warm environments already promised to invocations placed here and not yet
 *     started, which a new invocation cannot count on
 * @param finishing of the busy ones, those whose invocation was answered: about to ask for the next
 *     one, so they take an invocation placed here as a warm one would
 */
public record RevisionPresence(int warm, int warmMb, int busy, int promised, int finishing) {
    public static final RevisionPresence NONE = new RevisionPresence(0, 0, 0, 0, 0);

    public RevisionPresence {
        if (warm < 0 || warmMb < 0 || busy < 0 || promised < 0 || finishing < 0 || finishing > busy) {
            throw new IllegalArgumentException("warm " + warm + ", warmMb " + warmMb + ", busy " + busy
                    + ", promised " + promised + ", finishing " + finishing
                    + " (expected: non-negative counts, finishing at most busy)");
        }
    }

    /** A presence with no answered invocation pending. */
    public RevisionPresence(int warm, int warmMb, int busy, int promised) {
        this(warm, warmMb, busy, promised, 0);
    }

    /** Warm (or finishing) environments no in-flight invocation has been promised. */
    public int available() {
        return Math.max(0, warm + finishing - promised);
    }
}
