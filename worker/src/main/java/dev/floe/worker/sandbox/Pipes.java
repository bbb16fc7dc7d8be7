package dev.floe.worker.sandbox;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Pipes by descriptor number, through the FFM API: the JDK's own pipes cannot be handed to a child
 * as its stdout, and its process pipes cannot be polled. Only what {@link OutputPump} needs:
 * pipe2, fcntl (non-blocking), read, write, poll and close, each with its errno.
 */
@SuppressWarnings("restricted")
final class Pipes {
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final short POLLIN = 0x1;

    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETPIPE_SZ = 1031;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle PIPE2;
    private static final MethodHandle FCNTL;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle POLL;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        PIPE2 = handle(linker, "pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno);
        FCNTL = handle(linker, "fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), errno,
                Linker.Option.firstVariadicArg(2));
        READ = handle(linker, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
        WRITE = handle(linker, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
        POLL = handle(linker, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        CLOSE = handle(linker, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private Pipes() {}

    /** A close-on-exec pipe whose read end (index 0) does not block; its write end (index 1) does. */
    static int[] open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment state = arena.allocate(CALL_STATE);
            if ((int) PIPE2.invokeExact(state, fds, O_CLOEXEC) < 0) {
                throw failure("pipe2", state);
            }
            int[] ends = {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
            int flags = (int) FCNTL.invokeExact(state, ends[0], F_GETFL, 0);
            if (flags < 0 || (int) FCNTL.invokeExact(state, ends[0], F_SETFL, flags | O_NONBLOCK) < 0) {
                IOException e = failure("fcntl", state);
                close(ends[0]);
                close(ends[1]);
                throw e;
            }
            return ends;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Asks for a pipe of {@code bytes}: a writer then runs longer between the reader's turns. Best
     * effort: an unprivileged user's pipes beyond the kernel's share keep their size.
     */
    static void resize(int fd, int bytes) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) FCNTL.invokeExact(arena.allocate(CALL_STATE), fd, F_SETPIPE_SZ, bytes);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * read(2) into {@code buffer}: the bytes read, 0 at the end (no writer left), -1 when nothing is
     * there now (EAGAIN).
     */
    static long read(int fd, MemorySegment buffer, MemorySegment state) throws IOException {
        while (true) {
            long n;
            try {
                n = (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (n >= 0) {
                return n;
            }
            int errno = errno(state);
            if (errno == EAGAIN) {
                return -1;
            }
            if (errno != EINTR) {
                throw failure("read", state);
            }
        }
    }

    /** write(2) of one byte, to wake a poller; a full pipe already wakes it. */
    static void poke(int fd, MemorySegment oneByte, MemorySegment state) {
        try {
            long ignored = (long) WRITE.invokeExact(state, fd, oneByte, 1L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** poll(2) on {@code count} pollfd entries, without end; returns how many are ready, 0 if interrupted. */
    static int poll(MemorySegment pollfds, int count, MemorySegment state) throws IOException {
        int ready;
        try {
            ready = (int) POLL.invokeExact(state, pollfds, (long) count, -1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (ready < 0) {
            if (errno(state) == EINTR) {
                return 0;
            }
            throw failure("poll", state);
        }
        return ready;
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Room for the errno of one call at a time. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static IOException failure(String call, MemorySegment state) {
        return new IOException(call + " failed: errno " + errno(state));
    }

    private static MethodHandle handle(Linker linker, String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }
}
