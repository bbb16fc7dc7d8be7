package dev.floe.controller.gateway;

import com.google.protobuf.ByteString;
import dev.floe.controller.invoke.ChunkSink;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * A worker's stream read a few pieces ahead of its sink. Asking the worker for each piece only once the
 * sink took the last costs a trip through the call's transport thread and back per piece, during which
 * nothing moves; instead {@link #PIECES} pieces are always asked for or waiting here, and the sink still
 * gets them one at a time, the next once it ran the last one's {@code more}. A sink that stops taking
 * stops the asking after at most {@link #PIECES} pieces, so the controller holds at most that many of a
 * stream (a worker's message is at most 64 KB, 256 KB in all) besides its HTTP/2 window.
 */
final class ReadAhead {
    /** Pieces asked for ahead of the sink. */
    static final int PIECES = 2;

    private final ChunkSink sink;
    /** Asks the worker for that many more pieces (the call's {@code request}). */
    private final IntConsumer ask;
    private final ArrayDeque<ByteString> waiting = new ArrayDeque<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** The sink holds a piece whose {@code more} has not run yet. */
    private boolean sinkBusy;
    private boolean last;

    ReadAhead(ChunkSink sink, IntConsumer ask) {
        this.sink = sink;
        this.ask = ask;
    }

    /** A piece from the worker, in order. */
    void arrived(ByteString piece) {
        synchronized (this) {
            if (sinkBusy) {
                waiting.add(piece);
                return;
            }
            sinkBusy = true;
        }
        sink.accept(piece, this::taken);
    }

    /** No piece comes after those that arrived: {@link #drained()} completes once the sink took them all. */
    void ended() {
        synchronized (this) {
            last = true;
            if (sinkBusy) {
                return;
            }
        }
        drained.complete(null);
    }

    /** The call failed: the pieces still waiting are dropped, since the caller gets the failure instead. */
    synchronized void failed() {
        waiting.clear();
    }

    /** Completes once the stream ended and the sink took every piece. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /** The sink took a piece: the worker may send one more, and the next waiting one goes to the sink. */
    private void taken() {
        ask.accept(1);
        ByteString next;
        boolean done;
        synchronized (this) {
            next = waiting.poll();
            sinkBusy = next != null;
            done = next == null && last;
        }
        if (next != null) {
            sink.accept(next, this::taken);
        } else if (done) {
            drained.complete(null);
        }
    }
}
