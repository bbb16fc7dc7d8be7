package dev.floe.client.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A progress line for long work, redrawn in place on a terminal ({@code "\r"}, then erase to the end of the
 * line) about four times a second: what is being done, how far ({@code 3/10}) when known, and the time so far.
 * Off a terminal (a pipe, a file, a test) it writes nothing at all, so logs and scripts see only results.
 * Closing it erases the line.
 */
public final class Progress implements AutoCloseable {
    static final long REDRAW_MS = 250;
    private static final Progress QUIET = new Progress(null, "");

    private final PrintStream err;
    private final long started = System.nanoTime();
    private volatile String what;
    private volatile long done = -1;
    private volatile long total = -1;
    private volatile boolean closed;
    private final Thread ticker;

    private Progress(PrintStream err, String what) {
        this.err = err;
        this.what = what;
        if (err == null) {
            ticker = null;
            return;
        }
        ticker = Thread.ofVirtual().name("floe-progress").start(() -> {
            while (!closed) {
                draw();
                try {
                    Thread.sleep(REDRAW_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** True when this process writes to a terminal: there a progress line helps, elsewhere it is noise. */
    public static boolean onTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** A progress line on {@code err} if this process is on a terminal, else one that writes nothing. */
    public static Progress start(PrintStream err, String what) {
        return start(err, what, onTerminal());
    }

    /** As {@link #start(PrintStream, String)}, {@code terminal} saying whether to draw. */
    public static Progress start(PrintStream err, String what, boolean terminal) {
        return terminal ? new Progress(err, what) : QUIET;
    }

    /** What is being done now. */
    public Progress what(String what) {
        this.what = what;
        return this;
    }

    /** How far: {@code done} of {@code total} (a negative total: unknown). */
    public void at(long done, long total) {
        this.total = total;
        this.done = done;
    }

    /** The line as drawn now, without the control characters. */
    String line() {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        long d = done;
        long t = total;
        String count = d < 0 ? "" : t > 0 ? String.format(Locale.ROOT, " %d/%d (%d%%)", d, t, d * 100 / t) : " " + d;
        return what + count + " · " + (seconds < 60 ? seconds + " s" : seconds / 60 + " min " + seconds % 60 + " s");
    }

    private synchronized void draw() {
        if (!closed) {
            err.print("\r" + line() + "\033[K");
            err.flush();
        }
    }

    /** Prints a whole line above the progress line, which is drawn again at the next tick. */
    public synchronized void println(PrintStream out, String text) {
        if (err != null && !closed) {
            err.print("\r\033[K");
            err.flush();
        }
        out.println(text);
    }

    /** Erases the line; nothing is drawn after. Idempotent. */
    @Override
    public void close() {
        if (err == null) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            err.print("\r\033[K");
            err.flush();
        }
        ticker.interrupt();
    }
}
