package dev.floe.controller.placement;

/**
 * What one worker holds of one revision.
 *
 * @param warm environments of the revision that are IDLE or FROZEN, ready for an invocation
 * @param warmMb their memory
 * @param busy environments of the revision running an invocation
 * @param promised warm environments already promised to invocations placed here and not yet
 *     started, which a new invocation cannot count on
 */
public record RevisionPresence(int warm, int warmMb, int busy, int promised) {
    public static final RevisionPresence NONE = new RevisionPresence(0, 0, 0, 0);

    public RevisionPresence {
        if (warm < 0 || warmMb < 0 || busy < 0 || promised < 0) {
            throw new IllegalArgumentException("warm " + warm + ", warmMb " + warmMb + ", busy " + busy
                    + ", promised " + promised + " (expected: non-negative counts)");
        }
    }

    /** Warm environments no in-flight invocation has been promised. */
    public int available() {
        return Math.max(0, warm - promised);
    }
}
