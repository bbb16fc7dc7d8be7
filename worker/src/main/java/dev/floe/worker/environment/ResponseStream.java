package dev.floe.worker.environment;

import dev.floe.worker.runtimeapi.ReadGate;

/**
 * Where the pieces of a streamed response go, at their reader's pace. Both calls come on the
 * environment's event loop.
 */
public interface ResponseStream {
    /**
     * The runtime began streaming: {@code reads} pauses and resumes reading its body, which the
     * stream uses to hold the function back while its reader cannot take more.
     */
    void started(ReadGate reads);

    /**
     * A piece of the body, in order: what one read of the runtime's connection brought (at most 128 KB);
     * pieces read before a pause took effect still come. The array is the stream's from then on.
     */
    void chunk(byte[] piece);
}
