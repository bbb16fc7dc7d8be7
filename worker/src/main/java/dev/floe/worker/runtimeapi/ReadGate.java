package dev.floe.worker.runtimeapi;

import io.netty.channel.Channel;

/**
 * Stops and restarts reading one runtime connection while it streams a response, so that a reader
 * slower than the function pushes back on the function itself: while the worker does not read, the
 * connection's TCP window fills and the runtime's own write blocks. Callable from any thread; the
 * change is made on the connection's event loop, and the last wish wins, so a stale resume cannot
 * undo a later pause. Once the stream ends the connection reads again for good (a keep-alive runtime
 * sends its next request on it).
 */
public final class ReadGate {
    private final Channel channel;
    private volatile boolean wanted = true;
    private volatile boolean ended;

    ReadGate(Channel channel) {
        this.channel = channel;
    }

    /** Stops reading the body after what has already been read from the socket. */
    public void pause() {
        set(false);
    }

    /** Reads the body again. */
    public void resume() {
        set(true);
    }

    /** The stream ended (or the connection closed): reading no longer depends on its reader. */
    void end() {
        ended = true;
        set(true);
    }

    private void set(boolean reading) {
        wanted = reading;
        if (channel.eventLoop().inEventLoop()) {
            apply();
        } else {
            channel.eventLoop().execute(this::apply);
        }
    }

    private void apply() {
        boolean reading = ended || wanted;
        if (channel.isActive() && channel.config().isAutoRead() != reading) {
            channel.config().setAutoRead(reading);
        }
    }
}
