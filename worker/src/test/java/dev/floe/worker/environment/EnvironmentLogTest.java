package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class EnvironmentLogTest {
    @Test
    void durationsPrintAsTheFormatterWould() {
        for (double value : new double[] {0, 0.004, 0.005, 0.05, 1, 1.5, 12.345, 999.999, 3000.0, 123456.78}) {
            assertEquals(String.format(Locale.ROOT, "%.2f", value), EnvironmentLog.twoDecimals(value), Double.toString(value));
        }
    }
}
