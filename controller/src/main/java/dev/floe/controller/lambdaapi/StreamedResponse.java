package dev.floe.controller.lambdaapi;

import java.util.Map;

/**
 * The transport's side of an answer sent in pieces (InvokeWithResponseStream): a 200 with its headers,
 * then messages at the pace the client reads them, then the end. Calls come in that order, from any
 * thread, never two at once.
 */
interface StreamedResponse {
    /** Sends the status line (200) and {@code headers}: from now on the answer cannot be an error response. */
    void begin(Map<String, String> headers);

    /**
     * Sends one message, and runs {@code more}, once, when the client can take the next (at once if it
     * can already); a client that went away never runs it.
     */
    void send(byte[] message, Runnable more);

    /** Ends the answer; the connection then serves the next request, or is closed. */
    void end();

    /** Runs {@code gone}, once, if the client goes away before {@link #end()}. */
    void onGone(Runnable gone);
}
