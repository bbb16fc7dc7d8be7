package dev.floe.chaos;

import java.io.PrintStream;
import java.util.List;

/**
 * What a chaos run did and counted. It passed when no call hung, every invocation that had to run
 * shows in the function's records ({@link #lost()} is 0), no environment or worker was listed twice,
 * and the fleet answered every call of the closing health check.
 */
public record ChaosReport(List<String> actions, List<Tally> tallies, Records records, int healthyCalls, List<String> duplicates) {
    /** Invocations that had to run (completed, or accepted asynchronously) but are not in the records. */
    public long lost() {
        return tallies.stream().mapToLong(this::lost).sum();
    }

    /** Of one load: invocations that had to run but are not in the records. */
    long lost(Tally t) {
        return t.mustHaveRun().stream().filter(seq -> !records.ran(seq)).count();
    }

    /** Of one load: invocations that had to run and ran more than once (allowed for asynchronous ones: at least once). */
    long duplicated(Tally t) {
        return t.mustHaveRun().stream().filter(seq -> records.runs().getOrDefault(seq, 0) > 1).count();
    }

    /** Invocations of the load of this kind that are not in the records; 0 when there is no such load. */
    public long lost(String kind) {
        return tallies.stream().filter(t -> t.kind().equals(kind)).mapToLong(this::lost).sum();
    }

    /** Invocations the load of this kind had accepted; 0 when there is no such load. */
    public long accepted(String kind) {
        return tallies.stream().filter(t -> t.kind().equals(kind)).mapToLong(Tally::accepted).sum();
    }

    public long hung() {
        return tallies.stream().mapToLong(Tally::hung).sum();
    }

    public long completed() {
        return tallies.stream().mapToLong(Tally::completed).sum();
    }

    public boolean passed() {
        return hung() == 0 && lost() == 0 && duplicates.isEmpty() && healthyCalls == 5 && completed() > 0;
    }

    public void print(PrintStream out) {
        out.println();
        out.println("What the harness counted, and what the function's records show of it");
        out.printf("  %-13s %9s %9s %8s %10s %5s %12s %8s %5s%n", "load", "accepted", "completed", "retried", "duplicated",
                "lost", "failed-clean", "refused", "hung");
        for (Tally t : tallies) {
            out.printf("  %-13s %9d %9d %8d %10d %5d %12d %8d %5d%n", t.kind(), t.accepted(), t.completed(), t.retried(),
                    duplicated(t), lost(t), t.failedTotal(), t.refusedTotal(), t.hung());
            t.failedCleanly().forEach((type, n) -> out.printf("  %-13s   failed cleanly %d: %s%n", "", n, type));
            t.refused().forEach((type, n) -> out.printf("  %-13s   refused (not accepted) %d: %s%n", "", n, type));
        }
        out.println("What the function recorded");
        out.printf("  ran (distinct) %d, ran more than once %d, torn lines %d%n", records.distinct(), records.duplicated(),
                records.torn());
        out.printf("  lost (answered or accepted, never ran) %d%n", lost());
        out.printf("  duplicate environments or workers %d%s%n", duplicates.size(), duplicates.isEmpty() ? "" : " " + duplicates);
        out.printf("  health check after the faults: %d of 5 completed%n", healthyCalls);
        out.println(passed() ? "PASSED: nothing hung, nothing lost, nothing listed twice"
                : "FAILED: hung " + hung() + ", lost " + lost() + ", duplicates " + duplicates.size() + ", healthy calls " + healthyCalls);
    }
}
