package dev.floe.common.metrics;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Passes a connection's requests on one at a time: the next only once the answer to the last has been
 * written to the socket, so a scrape costs the event loop only as often as the client reads, and a
 * client that does not read holds one answer in memory, not one per request it sent. Requests that
 * arrive meanwhile wait here (HTTP/1.1 pipelining), at most {@link #MAX_WAITING}; past that the
 * connection is closed once the answer being written is out. Runs on the connection's event loop.
 */
final class OneAnswerAtATime extends ChannelDuplexHandler {
    /** Scrapers send one request and wait for its answer; a few more is a pipelining client, many more an attack. */
    static final int MAX_WAITING = 16;

    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    /** A request was passed on and its answer is not written yet. */
    private boolean answering;
    /**
     * Too many waited: nothing more is answered, and the connection closes after the current answer. What
     * still comes is read and dropped: closing with unread bytes would reset the connection, and the
     * client would lose the answers already sent.
     */
    private boolean overflowed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (overflowed) {
            request.release();
        } else if (!answering) {
            answering = true;
            ctx.fireChannelRead(request);
        } else if (waiting.size() < MAX_WAITING) {
            waiting.add(request);
        } else {
            request.release();
            overflowed = true;
            releaseWaiting();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse && msg instanceof LastHttpContent) {
            ChannelPromise written = promise.unvoid();
            written.addListener((ChannelFuture done) -> answered(ctx, done));
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    private void answered(ChannelHandlerContext ctx, ChannelFuture done) {
        answering = false;
        if (!done.isSuccess() || overflowed) {
            ctx.close();
            return;
        }
        FullHttpRequest next = waiting.poll();
        if (next != null) {
            answering = true;
            ctx.fireChannelRead(next);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    private void releaseWaiting() {
        for (FullHttpRequest request = waiting.poll(); request != null; request = waiting.poll()) {
            ReferenceCountUtil.release(request);
        }
    }
}
