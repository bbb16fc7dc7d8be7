package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Concurrency;
import java.util.OptionalInt;

/**
 * A change to a function's concurrency settings; an empty field keeps the current value. They
 * belong to the function, not to a revision, so changing them alone makes no new revision.
 *
 * @param reserved the reserved concurrency, or {@link #REMOVE} to share the fleet's unreserved concurrency
 * @param provisioned how many environments to keep initialized and frozen; 0 keeps none
 */
public record ConcurrencyChange(OptionalInt reserved, OptionalInt provisioned) {
    /** The {@code reserved} value that removes a function's reservation. */
    public static final int REMOVE = -1;
    /** The most environments one function may keep provisioned. */
    public static final int PROVISIONED_MAX = 10_000;

    public boolean isEmpty() {
        return reserved.isEmpty() && provisioned.isEmpty();
    }

    /** The settings after this change, checked: provisioned within 0..10000 and, with a reservation, at most it. */
    public Concurrency applyTo(Concurrency current) {
        Concurrency.Builder next = current.toBuilder();
        if (reserved.isPresent()) {
            int value = reserved.getAsInt();
            if (value == REMOVE) {
                next.clearReserved();
            } else if (value < 0) {
                throw invalid("reserved concurrency: " + value + " (expected: 0 or more, or -1 to remove it)");
            } else {
                next.setReserved(value);
            }
        }
        if (provisioned.isPresent()) {
            int value = provisioned.getAsInt();
            if (value < 0 || value > PROVISIONED_MAX) {
                throw invalid("provisioned concurrency: " + value + " (expected: 0.." + PROVISIONED_MAX + ")");
            }
            next.setProvisioned(value);
        }
        if (next.hasReserved() && next.getProvisioned() > next.getReserved()) {
            throw invalid("provisioned concurrency: " + next.getProvisioned() + " (expected: at most the reserved concurrency, "
                    + next.getReserved() + ")");
        }
        return next.build();
    }

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
