package dev.floe.worker.environment;

import dev.floe.worker.sandbox.OutputPump;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * An environment's log: the runtime's stdout and stderr, which reach it through a pipe as they are
 * written, and the platform's lines ({@code INIT_START}, {@code START}, {@code END}, {@code REPORT})
 * in Lambda's format. The runtime's output is capped as it arrives: past {@link #MAX_BYTES} it is
 * dropped and counted, not written, and the log says how much was dropped before the next platform
 * line. The platform's lines are always written, after everything the runtime wrote before them.
 *
 * <p>Dropping rather than making the writer wait is what Lambda does when a function's output outruns
 * its log's consumer (the Telemetry API's {@code platform.logsDropped}): a function's behaviour
 * must not depend on how much it logs. The cost is the worker reading what it drops, one copy per
 * byte on the worker's output thread.
 */
final class EnvironmentLog implements OutputPump.Sink, AutoCloseable {
    /** Lambda returns the last 4 KB of the log with an invocation when asked. */
    static final int TAIL_BYTES = 4 * 1024;
    /** The runtime's output kept at most: one chatty function must not fill the worker's disk. */
    static final long MAX_BYTES = 64L * 1024 * 1024;
    /** An invocation starting with more than this in the log starts it again, so each has room of its own. */
    static final long RESTART_BYTES = MAX_BYTES / 2;

    private final Path file;
    private final FileChannel channel;
    private final FileChannel reader;
    private final LongConsumer droppedMeter;
    private final OutputPump.Output output;
    /** What the file holds, guarded by this: every write goes through this log. */
    private long size;
    /** The runtime's bytes dropped since the log last said so; guarded by this. */
    private long dropped;

    /**
     * @param pump carries the runtime's output here, through {@link #output()}
     * @param droppedMeter counts the runtime's bytes dropped past the cap
     */
    EnvironmentLog(Path file, OutputPump pump, LongConsumer droppedMeter) throws IOException {
        this.file = file;
        this.droppedMeter = droppedMeter;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            this.size = channel.size();
            this.reader = FileChannel.open(file, StandardOpenOption.READ);
            this.output = pump.open(this);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Path file() {
        return file;
    }

    /** The pipe the runtime writes to. */
    OutputPump.Output output() {
        return output;
    }

    synchronized long size() {
        return size;
    }

    /** The runtime's output, as it arrives: kept up to {@link #MAX_BYTES}, the rest dropped and counted. */
    @Override
    public synchronized void write(ByteBuffer bytes) {
        int room = (int) Math.max(0, Math.min(bytes.remaining(), MAX_BYTES - size));
        int excess = bytes.remaining() - room;
        if (room > 0) {
            ByteBuffer kept = bytes.slice(bytes.position(), room);
            write(kept, room);
        }
        if (excess > 0) {
            dropped += excess;
            droppedMeter.accept(excess);
        }
    }

    void initStart(String runtime) {
        platform("INIT_START Runtime Version: " + runtime + "\n");
    }

    /**
     * Writes START, first starting the log again if it holds more than {@link #RESTART_BYTES}; returns
     * where START begins.
     */
    long start(String requestId, int revision) {
        output.drain();
        synchronized (this) {
            if (size > RESTART_BYTES) {
                try {
                    channel.truncate(0);
                    size = 0;
                } catch (IOException e) {
                    // the log is best effort
                }
                noteDropped();
                append("[floe] the log started again: it keeps at most " + MAX_BYTES / (1024 * 1024) + " MB\n");
            }
            long at = size;
            platformLocked("START RequestId: " + requestId + " Version: " + revision + "\n");
            return at;
        }
    }

    void timedOut(Instant now, String requestId, double seconds) {
        platform(now + " " + requestId + " Task timed out after " + String.format(Locale.ROOT, "%.2f", seconds) + " seconds\n");
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
        platform(line.append("\t\n").toString());
    }

    /** {@code 12.34}: what {@code %.2f} prints, without the formatter's cost on every invocation. */
    static String twoDecimals(double value) {
        long hundredths = Math.round(value * 100);
        long fraction = Math.abs(hundredths % 100);
        return (hundredths < 0 && hundredths > -100 ? "-" : "") + hundredths / 100 + (fraction < 10 ? ".0" : ".") + fraction;
    }

    /** Lambda's line for an init phase that failed. */
    void initReport(double initMs, String errorType) {
        platform("INIT_REPORT Init Duration: " + String.format(Locale.ROOT, "%.2f", initMs) + " ms\tPhase: init\tStatus: error\tError Type: "
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

    /** A platform line, after everything the runtime wrote so far and a note of what was dropped. */
    private void platform(String text) {
        output.drain();
        platformLocked(text);
    }

    private synchronized void platformLocked(String text) {
        noteDropped();
        append(text);
    }

    private void noteDropped() {
        if (dropped > 0) {
            append("[floe] " + dropped + " bytes of output were dropped: the log keeps at most " + MAX_BYTES / (1024 * 1024)
                    + " MB of it\n");
            dropped = 0;
        }
    }

    private void append(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(ByteBuffer.wrap(bytes), bytes.length);
    }

    /** Appends all of {@code bytes}; a full disk must not fail the invocation, so the log is best effort. */
    private void write(ByteBuffer bytes, int length) {
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            size += length;
        } catch (IOException e) {
            try {
                size = channel.size();
            } catch (IOException again) {
                // leave it
            }
        }
    }

    /** Stops reading the runtime's output, then closes the file. */
    @Override
    public void close() throws IOException {
        output.close();
        try (reader) {
            channel.close();
        }
    }
}
