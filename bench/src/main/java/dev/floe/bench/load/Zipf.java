package dev.floe.bench.load;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks one of {@code n} items, item {@code k} (from 0) with probability proportional to
 * {@code 1 / (k + 1)^s}: Zipf's law, the shape of function popularity in serverless traces (Shahrad et
 * al., "Serverless in the Wild", USENIX ATC 2020). {@code s = 0} is uniform.
 */
final class Zipf {
    private final double[] cumulative;

    Zipf(int n, double s) {
        if (n < 1) {
            throw new IllegalArgumentException("n: " + n + " (expected: >= 1)");
        }
        if (!(s >= 0) || s > 10) {
            throw new IllegalArgumentException("s: " + s + " (expected: 0..10)");
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1 / Math.pow(k + 1, s);
            cumulative[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cumulative[k] /= sum;
        }
    }

    int next() {
        double u = ThreadLocalRandom.current().nextDouble();
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Item {@code k}'s probability. */
    double probability(int k) {
        return k == 0 ? cumulative[0] : cumulative[k] - cumulative[k - 1];
    }
}
