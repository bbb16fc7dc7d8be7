package dev.floe.controller.placement;

import java.util.Set;

/**
 * One invocation to place.
 *
 * @param revisionId the revision to run, whose environments are warm candidates
 * @param memoryMb the revision's memory size, what a new environment takes
 * @param excluded workers not to choose, e.g. those that already refused this invocation
 */
public record PlacementRequest(String revisionId, String function, int memoryMb, Set<String> excluded) {
    public PlacementRequest {
        if (revisionId == null || revisionId.isEmpty()) {
            throw new IllegalArgumentException("revisionId: empty (expected: a revision id)");
        }
        if (memoryMb <= 0) {
            throw new IllegalArgumentException("memoryMb: " + memoryMb + " (expected: > 0)");
        }
        excluded = Set.copyOf(excluded);
    }
}
