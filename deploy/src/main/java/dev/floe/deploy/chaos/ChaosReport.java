package dev.floe.deploy.chaos;

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
        return tallies.stream().flatMap(t -> t.mustHaveRun().stream()).filter(seq -> !records.ran(seq)).count();
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
        out.println("What the harness counted");
        out.printf("  %-13s %9s %9s %13s %6s%n", "load", "accepted", "completed", "failed-clean", "hung");
        for (Tally t : tallies) {
            out.printf("  %-13s %9d %9d %13d %6d%n", t.kind(), t.accepted(), t.completed(), t.failedTotal(), t.hung());
            t.failedCleanly().forEach((type, n) -> out.printf("  %-13s %9s %9s %13d   %s%n", "", "", "", n, type));
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
