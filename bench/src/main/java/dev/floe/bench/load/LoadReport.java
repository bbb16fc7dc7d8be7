package dev.floe.bench.load;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a load measured: invocations that ran (function errors among them) and their latency from
 * intended send to answer, cold starts, and refusals by type. Latency covers the invocations that ran;
 * a refusal is counted, not timed.
 *
 * @param coldStarts null when the target does not say (Lambda's HTTP API)
 * @param examples the first message of each type of refusal
 */
public record LoadReport(LoadPlan plan, String target, double seconds, long ran, Histogram latencyNanos, Long coldStarts,
                         Map<String, Long> functionErrors, Map<String, Long> errors, Map<String, String> examples) {
    public LoadReport {
        functionErrors = Map.copyOf(functionErrors);
        errors = Map.copyOf(errors);
        examples = Map.copyOf(examples);
    }

    /** Invocations that ran, per second of the measured time. */
    public double throughput() {
        return ran / seconds;
    }

    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The latency at {@code percentile} (0..100), in milliseconds; NaN when nothing ran. */
    public double latencyMs(double percentile) {
        return latencyNanos.getTotalCount() == 0 ? Double.NaN : latencyNanos.getValueAtPercentile(percentile) / 1e6;
    }

    public void print(PrintStream out) {
        out.printf(Locale.ROOT, "%s loop, %s over %s, %d function%s, %.1f s measured%n",
                plan.openLoop() ? "open" : "closed",
                plan.openLoop() ? String.format(Locale.ROOT, "%.0f invocations/s offered", plan.rate()) : plan.callers() + " callers",
                target.equals("grpc") ? "gRPC" : "Lambda's HTTP API", plan.functions().size(), plan.functions().size() == 1 ? "" : "s",
                seconds);
        out.printf(Locale.ROOT, "throughput   %.0f invocations/s (%d ran)%n", throughput(), ran);
        out.printf(Locale.ROOT, "latency ms   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s%n", ms(latencyMs(50)), ms(latencyMs(90)),
                ms(latencyMs(99)), ms(latencyMs(99.9)), ms(latencyMs(100)));
        out.println("cold starts  " + (coldStarts == null ? "not reported by Lambda's HTTP API" : coldStarts));
        if (!functionErrors.isEmpty()) {
            out.println("function errors  " + new TreeMap<>(functionErrors));
        }
        out.println("errors       " + (errors.isEmpty() ? "none" : new TreeMap<>(errors).toString()));
        new TreeMap<>(examples).forEach((type, message) -> out.println("  " + type + ", e.g.: " + message));
    }

    public String json() {
        JsonObject o = new JsonObject();
        o.addProperty("loop", plan.openLoop() ? "open" : "closed");
        if (plan.openLoop()) {
            o.addProperty("rate", plan.rate());
        } else {
            o.addProperty("callers", plan.callers());
        }
        o.addProperty("target", target);
        o.addProperty("functions", plan.functions().size());
        o.addProperty("zipf", plan.zipf());
        o.addProperty("seconds", Math.round(seconds * 1000) / 1000.0);
        o.addProperty("ran", ran);
        o.addProperty("throughput", Math.round(throughput() * 10) / 10.0);
        JsonObject latency = new JsonObject();
        String[] names = {"p50", "p90", "p99", "p99.9", "max"};
        double[] percentiles = {50, 90, 99, 99.9, 100};
        for (int i = 0; i < names.length; i++) {
            double v = latencyMs(percentiles[i]);
            if (!Double.isNaN(v)) {
                latency.addProperty(names[i], Math.round(v * 1000) / 1000.0);
            }
        }
        o.add("latencyMs", latency);
        if (coldStarts != null) {
            o.addProperty("coldStarts", coldStarts);
        }
        JsonObject fe = new JsonObject();
        new TreeMap<>(functionErrors).forEach(fe::addProperty);
        o.add("functionErrors", fe);
        JsonObject errs = new JsonObject();
        new TreeMap<>(errors).forEach(errs::addProperty);
        o.add("errors", errs);
        JsonObject eg = new JsonObject();
        new TreeMap<>(examples).forEach(eg::addProperty);
        o.add("errorExamples", eg);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }
}
