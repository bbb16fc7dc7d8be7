package dev.floe.worker.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM's command line for the java runtimes, tuned for short-lived, small-heap functions as Lambda's
 * own Java runtimes are: the heap is most of the function's memory (the rest is the JVM's own), the
 * serial collector (one core's worth of work), and C1 only (a function rarely runs long enough for C2
 * to repay its compile time at start). Class data sharing maps the JDK's default archive and, once the
 * worker has made it, the runtime interface client's own ({@link JavaClassArchive}).
 */
final class JavaOptions {
    /** The share of the function's memory given to the heap; metaspace, threads and code take the rest. */
    static final double HEAP_SHARE = 0.85;

    private JavaOptions() {}

    /** Everything after the {@code java} launcher: options, class path, main class and the handler. */
    static List<String> of(Path runtimeRoot, int memoryMb, Path classArchive, String handler) {
        List<String> args = new ArrayList<>();
        args.add("-XX:MaxHeapSize=" + (int) (memoryMb * HEAP_SHARE) + "m");
        args.add("-XX:+UseSerialGC");
        args.add("-XX:+TieredCompilation");
        args.add("-XX:TieredStopAtLevel=1");
        args.add("-Xshare:auto");
        if (classArchive != null) {
            // The runtime interface client's classes, archived once per worker (JavaClassArchive).
            args.add("-XX:SharedArchiveFile=" + classArchive);
        }
        // No hsperfdata file in /tmp: nothing reads it, and it costs a file and an mmap at start.
        args.add("-XX:-UsePerfData");
        args.add("--enable-native-access=ALL-UNNAMED");
        args.add("-cp");
        args.add(runtimeRoot.resolve("lib") + "/*");
        args.add(Runtimes.JAVA_MAIN);
        args.add(handler);
        return args;
    }
}
