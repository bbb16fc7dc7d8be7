package dev.floe.worker.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM's command line for the java runtimes, tuned for short-lived, small-heap functions as Lambda's
 * own Java runtimes are: the heap is most of the function's memory (the rest is the JVM's own), the
 * serial collector (one core's worth of work), and C1 only (a function rarely runs long enough for C2
 * to repay its compile time at start). Class data sharing maps the JDK's default archive until the
 * worker has made the runtime interface client's ahead-of-time cache ({@link JavaClassArchive}), then
 * that cache instead (the JVM refuses {@code -Xshare} beside {@code -XX:AOTCache}).
 */
final class JavaOptions {
    /** The share of the function's memory given to the heap; metaspace, threads and code take the rest. */
    static final double HEAP_SHARE = 0.85;

    private JavaOptions() {}

    /** Everything after the {@code java} launcher: options, class path, main class and the handler. */
    static List<String> of(Path runtimeRoot, int memoryMb, Path aotCache, String handler) {
        // The runtime interface client's classes, loaded and linked once per worker (JavaClassArchive).
        return options(runtimeRoot, memoryMb, aotCache == null ? "-Xshare:auto" : "-XX:AOTCache=" + aotCache, handler);
    }

    /** The command line of the training run that writes the ahead-of-time cache to {@code output} when it exits. */
    static List<String> training(Path runtimeRoot, int memoryMb, Path output, String handler) {
        return options(runtimeRoot, memoryMb, "-XX:AOTCacheOutput=" + output, handler);
    }

    private static List<String> options(Path runtimeRoot, int memoryMb, String classData, String handler) {
        List<String> args = new ArrayList<>();
        args.add("-XX:MaxHeapSize=" + (int) (memoryMb * HEAP_SHARE) + "m");
        args.add("-XX:+UseSerialGC");
        args.add("-XX:+TieredCompilation");
        args.add("-XX:TieredStopAtLevel=1");
        args.add(classData);
        // No hsperfdata file in /tmp: nothing reads it, and it costs a file and an mmap at start.
        args.add("-XX:-UsePerfData");
        // The client loads its native part. (This option turns off the JDK default archive's full module
        // graph, as it differs from the archive's dump; the client's own cache is made with it, so keeps it.)
        args.add("--enable-native-access=ALL-UNNAMED");
        args.add("-cp");
        args.add(runtimeRoot.resolve("lib") + "/*");
        args.add(Runtimes.JAVA_MAIN);
        args.add(handler);
        return args;
    }
}
