package dev.floe.worker.environment;

import java.time.InstantSource;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Trace headers in the X-Ray format runtimes expect in Lambda-Runtime-Trace-Id:
 * {@code Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0}.
 */
final class TraceIds {
    private TraceIds() {}

    static String next(InstantSource clock) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return String.format("Root=1-%08x-%08x%016x;Parent=%016x;Sampled=0",
                clock.instant().getEpochSecond(), random.nextInt(), random.nextLong(), random.nextLong());
    }
}
