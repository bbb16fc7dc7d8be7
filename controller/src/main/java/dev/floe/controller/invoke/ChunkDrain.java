package dev.floe.controller.invoke;

import com.google.protobuf.ByteString;

/**
 * A streamed response's sink that outlives its caller: pieces go to the caller's sink while it waits,
 * and once it is gone ({@link #callerGone()}) they are dropped and the next is asked for at once. The
 * function runs on after its caller leaves (Lambda's behaviour), so its stream is read to the end
 * rather than left to block the function's writes until it times out; and the worker call ending is
 * what tells the controller the function returned, so its concurrency slot is held until then.
 */
final class ChunkDrain implements ChunkSink {
    private final ChunkSink caller;
    /** The {@code more} the caller holds and has not run yet. */
    private Runnable pending;
    private boolean gone;

    ChunkDrain(ChunkSink caller) {
        this.caller = caller;
    }

    @Override
    public void accept(ByteString chunk, Runnable more) {
        boolean drop;
        synchronized (this) {
            drop = gone;
            if (!drop) {
                pending = more;
            }
        }
        if (drop) {
            more.run();
            return;
        }
        caller.accept(chunk, () -> {
            if (take(more)) {
                more.run();
            }
        });
    }

    /** The caller left: what it held back is asked for now, and from now on every piece is dropped. */
    void callerGone() {
        Runnable held;
        synchronized (this) {
            gone = true;
            held = pending;
            pending = null;
        }
        if (held != null) {
            held.run();
        }
    }

    /** Whether {@code more} is still owed (each runs once, by the caller or by {@link #callerGone()}). */
    private synchronized boolean take(Runnable more) {
        if (pending != more) {
            return false;
        }
        pending = null;
        return true;
    }
}
