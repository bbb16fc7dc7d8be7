package dev.floe.worker.sandbox;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Carries runtimes' output to their environments' logs: each runtime writes its stdout and stderr
 * into a pipe of its own, and one thread of the worker reads every pipe as bytes arrive and hands
 * them to the environment's {@link Sink}, which decides what to keep. A runtime writing to a file
 * directly would grow it at its own speed, past any cap checked afterwards.
 *
 * <p>Whoever needs all of a runtime's output so far (before writing a line after it) calls
 * {@link Output#drain}; pipe, thread and caller take turns on one lock per output, so chunks reach
 * the sink in the order the runtime wrote them.
 */
public final class OutputPump implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OutputPump.class.getName());
    /** One read, into each output's own buffer (native memory, one per environment). */
    private static final int CHUNK_BYTES = 64 * 1024;
    /** A runtime's pipe: room for bursts while the thread serves other pipes (the kernel's default is 64 KB). */
    private static final int PIPE_BYTES = 1024 * 1024;
    /** Chunks read from one ready pipe before the next is served: with each wake-up costing a poll, a few at once. */
    private static final int CHUNKS_PER_ROUND = 16;
    /**
     * The most {@link Output#drain} reads at once: what a runtime wrote before its last request is in
     * the pipe (at most its capacity); a process writing without end must not hold the caller.
     */
    private static final int DRAIN_BYTES = 2 * 1024 * 1024;

    /** Where a runtime's output goes; called on the pump's thread or a draining caller's, one call at a time. */
    public interface Sink {
        /** Takes {@code bytes}, valid only during the call. */
        void write(ByteBuffer bytes);
    }

    private final Thread thread;
    private final int wakeRead;
    private final int wakeWrite;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment wakeByte = arena.allocate(1);
    private final MemorySegment wakeState = Pipes.callState(arena);
    /** Outputs whose pipe may still bring bytes; guarded by itself. */
    private final Set<Output> watched = new LinkedHashSet<>();
    private boolean closed;
    /** Whether the wake pipe is open; guarded by {@link #wakeByte}. */
    private boolean wakeOpen = true;

    public OutputPump(String workerId) throws IOException {
        int[] wake = Pipes.open();
        this.wakeRead = wake[0];
        this.wakeWrite = wake[1];
        this.thread = Thread.ofPlatform().name("floe-output-" + workerId).daemon(true).start(this::run);
    }

    /** A new pipe whose bytes go to {@code sink}. */
    public Output open(Sink sink) throws IOException {
        int[] ends = Pipes.open();
        Pipes.resize(ends[0], PIPE_BYTES);
        Output output = new Output(ends[0], ends[1], sink);
        synchronized (watched) {
            if (closed) {
                output.close();
                throw new IOException("the worker's output pump is closed");
            }
            watched.add(output);
        }
        wake();
        return output;
    }

    /** One runtime's pipe: its write end goes to the runtime, its read end stays with the worker. */
    public final class Output implements AutoCloseable {
        private final int readEnd;
        private int writeEnd;
        private final Sink sink;
        private final Arena buffers = Arena.ofShared();
        private final MemorySegment buffer = buffers.allocate(CHUNK_BYTES);
        private final MemorySegment state = Pipes.callState(buffers);
        /** Guarded by this. */
        private boolean open = true;

        private Output(int readEnd, int writeEnd, Sink sink) {
            this.readEnd = readEnd;
            this.writeEnd = writeEnd;
            this.sink = sink;
        }

        /**
         * Where the runtime's output goes: the pipe's write end, opened anew by the JDK when it spawns
         * the process (the JDK takes redirections by path only). Call {@link #spawned} after.
         */
        public Redirect redirect() {
            return Redirect.appendTo(new File("/proc/self/fd/" + writeEnd));
        }

        /** The runtime holds its write end now: the worker's copy is closed, so the pipe ends when its processes do. */
        public synchronized void spawned() {
            if (writeEnd >= 0) {
                Pipes.close(writeEnd);
                writeEnd = -1;
            }
        }

        /** Hands the sink everything in the pipe now (up to a bound), on the caller's thread. */
        public synchronized void drain() {
            for (long total = 0; total < DRAIN_BYTES; ) {
                long n = readOnce();
                if (n <= 0) {
                    return;
                }
                total += n;
            }
        }

        /** One read, given to the sink: the bytes read, 0 at the end of the pipe, -1 if nothing now. */
        private synchronized long readOnce() {
            if (!open) {
                return 0;
            }
            long n;
            try {
                n = Pipes.read(readEnd, buffer, state);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "reading a runtime's output: " + e.getMessage());
                n = 0;
            }
            if (n > 0) {
                try {
                    sink.write(buffer.asSlice(0, n).asByteBuffer());
                } catch (RuntimeException e) {
                    // One log's failure must not stop the pump every runtime's output depends on.
                    LOG.log(System.Logger.Level.WARNING, "a log refused a runtime's output: " + e);
                }
            }
            return n;
        }

        /** Stops reading and closes the pipe; what is still in it is lost. */
        @Override
        public void close() {
            synchronized (watched) {
                watched.remove(this);
            }
            synchronized (this) {
                if (!open) {
                    return;
                }
                open = false;
                spawned();
                Pipes.close(readEnd);
                buffers.close();
            }
            wake();
        }
    }

    private void wake() {
        synchronized (wakeByte) {
            if (wakeOpen) {
                Pipes.poke(wakeWrite, wakeByte, wakeState);
            }
        }
    }

    private void run() {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment state = Pipes.callState(local);
            MemorySegment wakeBuffer = local.allocate(256);
            MemorySegment pollfds = MemorySegment.NULL;
            int capacity = 0;
            while (true) {
                List<Output> now;
                synchronized (watched) {
                    if (closed) {
                        return;
                    }
                    now = new ArrayList<>(watched);
                }
                int count = now.size() + 1;
                if (count > capacity) {
                    capacity = Math.max(count, capacity * 2);
                    pollfds = local.allocate(8L * capacity, 8);
                }
                // struct pollfd { int fd; short events; short revents; }
                set(pollfds, 0, wakeRead);
                for (int i = 0; i < now.size(); i++) {
                    set(pollfds, i + 1, now.get(i).readEnd);
                }
                if (Pipes.poll(pollfds, count, state) <= 0) {
                    continue;
                }
                if (pollfds.get(ValueLayout.JAVA_SHORT, 6) != 0) {
                    while (Pipes.read(wakeRead, wakeBuffer, state) > 0) {
                        // emptied: the next round sees the new set of outputs
                    }
                }
                for (int i = 0; i < now.size(); i++) {
                    if (pollfds.get(ValueLayout.JAVA_SHORT, 8L * (i + 1) + 6) != 0) {
                        Output output = now.get(i);
                        // A bounded share per ready pipe per round: a flooding runtime does not starve the others.
                        for (int chunk = 0; chunk < CHUNKS_PER_ROUND; chunk++) {
                            long n = output.readOnce();
                            if (n == 0) {
                                // No writer left (or closed): nothing more will come.
                                synchronized (watched) {
                                    watched.remove(output);
                                }
                                break;
                            }
                            if (n < CHUNK_BYTES) {
                                break;
                            }
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the output pump stopped: runtimes' output is no longer logged", e);
        }
    }

    private static void set(MemorySegment pollfds, int index, int fd) {
        long at = 8L * index;
        pollfds.set(ValueLayout.JAVA_INT, at, fd);
        pollfds.set(ValueLayout.JAVA_SHORT, at + 4, Pipes.POLLIN);
        pollfds.set(ValueLayout.JAVA_SHORT, at + 6, (short) 0);
    }

    /** Stops the thread; outputs still open stop being read. */
    @Override
    public void close() {
        synchronized (watched) {
            if (closed) {
                return;
            }
            closed = true;
        }
        wake();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (wakeByte) {
            wakeOpen = false;
            Pipes.close(wakeWrite);
            Pipes.close(wakeRead);
        }
        // the thread's arena is its own; the wake byte's goes now
        arena.close();
    }
}
