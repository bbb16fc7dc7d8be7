package dev.floe.worker.environment;

import java.time.InstantSource;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Trace headers in the X-Ray format runtimes expect in Lambda-Runtime-Trace-Id:
 * {@code Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0}.
 */
final class TraceIds {
    private TraceIds() {}

    private static final HexFormat HEX = HexFormat.of();

    static String next(InstantSource clock) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "Root=1-" + HEX.toHexDigits((int) (clock.millis() / 1000)) + "-" + HEX.toHexDigits(random.nextInt())
                + HEX.toHexDigits(random.nextLong()) + ";Parent=" + HEX.toHexDigits(random.nextLong()) + ";Sampled=0";
    }
}
