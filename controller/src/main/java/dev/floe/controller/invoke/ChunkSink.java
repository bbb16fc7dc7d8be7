package dev.floe.controller.invoke;

import com.google.protobuf.ByteString;

/**
 * Where a streamed response's pieces go, at the pace their reader takes them: the worker is asked
 * for the next piece only once the sink has run the {@code more} it got with the last one, so a slow
 * reader holds the worker (and through it the function) back instead of the controller buffering.
 */
public interface ChunkSink {
    /**
     * Takes one piece, in order. Runs {@code more}, once, on any thread, when it can take the next;
     * until then no other piece comes.
     */
    void accept(ByteString chunk, Runnable more);
}
