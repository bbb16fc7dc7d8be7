package dev.floe.controller;

import dev.floe.testing.Await;
import java.time.Duration;
import java.util.List;

/** Finds threads a test left running, by name. */
final class Threads {
    private Threads() {}

    static List<String> named(String... prefixes) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> List.of(prefixes).stream().anyMatch(name::startsWith))
                .sorted()
                .toList();
    }

    /** Fails unless every thread with one of these name prefixes is gone soon. */
    static void assertNoneLeft(String... prefixes) {
        try {
            Await.until(Duration.ofSeconds(10), "no thread left named " + List.of(prefixes), () -> named(prefixes).isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; still running: " + named(prefixes), e);
        }
    }
}
