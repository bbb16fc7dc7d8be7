package dev.floe.worker.environment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;

/**
 * An environment's log: the runtime's stdout and stderr, appended to a file by the kernel with no
 * thread of ours in the way, and the platform's lines ({@code INIT_START}, {@code START},
 * {@code END}, {@code REPORT}) in Lambda's format, appended to the same file. Both use O_APPEND, so
 * lines interleave in the order they were written.
 */
final class EnvironmentLog implements AutoCloseable {
    /** Lambda returns the last 4 KB of the log with an invocation when asked. */
    static final int TAIL_BYTES = 4 * 1024;
    /** Past this, the log starts again: one chatty function must not fill the worker's disk. */
    static final long MAX_BYTES = 64L * 1024 * 1024;

    private final Path file;
    private final FileChannel channel;
    private final FileChannel reader;

    EnvironmentLog(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        this.reader = FileChannel.open(file, StandardOpenOption.READ);
    }

    Path file() {
        return file;
    }

    long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            return 0;
        }
    }

    void initStart(String runtime) {
        append("INIT_START Runtime Version: " + runtime + "\n");
    }

    void start(String requestId, int revision) {
        append("START RequestId: " + requestId + " Version: " + revision + "\n");
    }

    void timedOut(Instant now, String requestId, double seconds) {
        append(now + " " + requestId + " Task timed out after " + String.format(Locale.ROOT, "%.2f", seconds) + " seconds\n");
    }

    void end(String requestId, double durationMs, long billedMs, int memorySizeMb, int maxMemoryUsedMb, double initMs) {
        StringBuilder line = new StringBuilder()
                .append("END RequestId: ").append(requestId).append('\n')
                .append("REPORT RequestId: ").append(requestId)
                .append("\tDuration: ").append(twoDecimals(durationMs)).append(" ms")
                .append("\tBilled Duration: ").append(billedMs).append(" ms")
                .append("\tMemory Size: ").append(memorySizeMb).append(" MB")
                .append("\tMax Memory Used: ").append(maxMemoryUsedMb).append(" MB");
        if (initMs > 0) {
            line.append("\tInit Duration: ").append(twoDecimals(initMs)).append(" ms");
        }
        append(line.append("\t\n").toString());
        limit();
    }

    /**
     * Truncates the log once it passes {@link #MAX_BYTES}; the runtime's O_APPEND writes go on at the
     * new end. Called after every invocation and by the pool's sweep, for output between invocations.
     */
    void limit() {
        try {
            if (channel.size() > MAX_BYTES) {
                channel.truncate(0);
                append("[floe] the log passed " + MAX_BYTES / (1024 * 1024) + " MB and was truncated\n");
            }
        } catch (IOException e) {
            // the log is best effort
        }
    }

    /** {@code 12.34}: what {@code %.2f} prints, without the formatter's cost on every invocation. */
    static String twoDecimals(double value) {
        long hundredths = Math.round(value * 100);
        long fraction = Math.abs(hundredths % 100);
        return (hundredths < 0 && hundredths > -100 ? "-" : "") + hundredths / 100 + (fraction < 10 ? ".0" : ".") + fraction;
    }

    /** Lambda's line for an init phase that failed. */
    void initReport(double initMs, String errorType) {
        append("INIT_REPORT Init Duration: " + String.format(Locale.ROOT, "%.2f", initMs) + " ms\tPhase: init\tStatus: error\tError Type: "
                + errorType + "\n");
    }

    /** The last {@link #TAIL_BYTES} of what was written since {@code from}, cut to whole UTF-8 characters. */
    String tail(long from) {
        try {
            long end = channel.size();
            // The runtime may have truncated its own log: the tail is then whatever is left.
            long start = Math.min(end, Math.max(from, end - TAIL_BYTES));
            ByteBuffer buffer = ByteBuffer.allocate((int) (end - start));
            while (buffer.hasRemaining() && reader.read(buffer, start + buffer.position()) > 0) {
                // read until full
            }
            byte[] bytes = buffer.array();
            int skip = 0;
            while (skip < bytes.length && (bytes[skip] & 0xC0) == 0x80) {
                skip++;
            }
            return new String(bytes, skip, buffer.position() - skip, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private void append(String text) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            // a full disk must not fail the invocation; the log is best effort
        }
    }

    @Override
    public void close() throws IOException {
        try (reader) {
            channel.close();
        }
    }
}
