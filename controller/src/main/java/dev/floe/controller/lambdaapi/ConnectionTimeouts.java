package dev.floe.controller.lambdaapi;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection's clocks ({@link ConnectionLimits}). A connection is in one of three phases:
 * <ul>
 * <li><b>waiting</b> for a request (accepted, or its last answer written): closed after the idle
 * timeout;</li>
 * <li><b>arriving</b>: bytes of a request came but not the whole request. Its headers must be whole
 * within the read timeout of its first byte (a client that trickles headers, as slowloris does, is
 * stopped there), and its body may not pause longer than the read timeout. Past either, a 408 and the
 * connection is closed;</li>
 * <li><b>handled</b>: a request arrived whole and its answer is not written yet. No clock runs: an
 * Invoke may run for 15 minutes, and the invocation has its own deadline.</li>
 * </ul>
 * Two handlers share the state: {@link #bytes()} first in the pipeline, which sees a request's first
 * bytes before the HTTP decoder has anything to show, and {@link #messages()} right after the decoder,
 * which sees where requests end and answers go out. One timer runs per connection and is re-armed
 * lazily: it is moved only when a deadline comes earlier than it, and when it fires on a deadline that
 * has moved on, it is scheduled again for that one; so a busy keep-alive connection schedules a few
 * timers per read timeout rather than several per request. Everything runs on the connection's event loop.
 * <p>Over TLS, {@link #handshake()} goes before the TLS handler and sees the handshake's bytes: a handshake
 * is timed like a request's headers (whole within the read timeout of its first byte), and one that is not
 * is closed without a word, since there is no TLS yet to answer in. Before its first byte the idle timeout
 * runs, as on a plaintext connection.
 */
final class ConnectionTimeouts {
    private static final System.Logger LOG = System.getLogger(ConnectionTimeouts.class.getName());

    private final long idleNanos;
    private final long readNanos;

    private ChannelHandlerContext messagesContext;
    /** Requests received whole and not answered yet. */
    private int owed;
    /** Bytes of a request came, and not yet the whole request. */
    private boolean arriving;
    /** The arriving request's headers are whole; its body is being read. */
    private boolean headersRead;
    /** Over TLS: bytes of the handshake came and it has not finished. */
    private boolean handshaking;
    /** Over TLS: the handshake finished, and what {@link #handshake()} sees is requests, which {@link #bytes()} times. */
    private boolean handshaken;
    private long arrivingSince;
    private long lastBytes;
    private long idleSince;
    /** Timed out or closed: everything more that comes is dropped. */
    private boolean over;
    private ScheduledFuture<?> timer;
    private long timerAt;

    ConnectionTimeouts(ConnectionLimits limits) {
        this.idleNanos = limits.idleTimeout().toNanos();
        this.readNanos = limits.readTimeout().toNanos();
    }

    /** Over TLS, the handler before the TLS handler. */
    ChannelHandler handshake() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!handshaken && !over && !arriving && msg instanceof ByteBuf bytes && bytes.isReadable()) {
                    handshaking = true;
                    arriving = true;
                    arrivingSince = System.nanoTime();
                    lastBytes = arrivingSince;
                    arm(ctx);
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    /** The handler before the HTTP decoder (after the TLS handler, if any). */
    ChannelHandler bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                idleSince = System.nanoTime();
                arm(ctx);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (over) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
                    lastBytes = System.nanoTime();
                    if (!arriving) {
                        arriving = true;
                        arrivingSince = lastBytes;
                        arm(ctx);
                    }
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                // A failed handshake closes the connection by itself; a finished one waits for a request.
                if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess() && !handshaken) {
                    handshaken = true;
                    handshaking = false;
                    arriving = false;
                    idleSince = System.nanoTime();
                    arm(ctx);
                }
                ctx.fireUserEventTriggered(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                over = true;
                if (timer != null) {
                    timer.cancel(false);
                    timer = null;
                }
                ctx.fireChannelInactive();
            }
        };
    }

    /** The handler right after the HTTP decoder (and before anything that answers requests). */
    ChannelHandler messages() {
        return new ChannelDuplexHandler() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                messagesContext = ctx;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    arriving = true;
                    headersRead = true;
                }
                if (msg instanceof LastHttpContent) {
                    arriving = false;
                    headersRead = false;
                    owed++;
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                // The end of an answer: a whole response, or the last piece of one sent in pieces (not a 100 Continue).
                if (msg instanceof LastHttpContent && !(msg instanceof io.netty.handler.codec.http.HttpResponse r
                        && r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL)) {
                    ChannelPromise written = promise.unvoid();
                    written.addListener(f -> answered(ctx));
                    ctx.write(msg, written);
                    return;
                }
                ctx.write(msg, promise);
            }
        };
    }

    private void answered(ChannelHandlerContext ctx) {
        if (owed > 0) {
            owed--;
        }
        if (owed == 0) {
            idleSince = System.nanoTime();
            arm(ctx);
        }
    }

    /** The current phase's deadline (System.nanoTime), or {@link Long#MIN_VALUE} for none. */
    private long deadline() {
        if (over || owed > 0) {
            return Long.MIN_VALUE;
        }
        if (arriving) {
            return (headersRead ? lastBytes : arrivingSince) + readNanos;
        }
        return idleSince + idleNanos;
    }

    /** Makes sure the timer fires at or before the current deadline. */
    private void arm(ChannelHandlerContext ctx) {
        long deadline = deadline();
        if (deadline == Long.MIN_VALUE || (timer != null && timerAt - deadline <= 0)) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        schedule(ctx, deadline);
    }

    private void schedule(ChannelHandlerContext ctx, long deadline) {
        timerAt = deadline;
        timer = ctx.executor().schedule(() -> fire(ctx), Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void fire(ChannelHandlerContext ctx) {
        timer = null;
        long deadline = deadline();
        if (deadline == Long.MIN_VALUE) {
            return; // handled: the answer re-arms the clock
        }
        if (System.nanoTime() - deadline < 0) {
            schedule(ctx, deadline);
            return;
        }
        over = true;
        if (!arriving) {
            LOG.log(System.Logger.Level.DEBUG, "Lambda API: closing " + ctx.channel().remoteAddress() + ", idle for "
                    + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms");
            ctx.channel().close();
            return;
        }
        if (handshaking) {
            LOG.log(System.Logger.Level.DEBUG, "Lambda API: closing " + ctx.channel().remoteAddress() + ": its TLS handshake did not"
                    + " finish within " + TimeUnit.NANOSECONDS.toMillis(readNanos) + " ms");
            ctx.channel().close();
            return;
        }
        String what = headersRead ? "its request's body paused for more than " : "its request's headers did not arrive whole within ";
        LOG.log(System.Logger.Level.DEBUG, "Lambda API: closing " + ctx.channel().remoteAddress() + ": " + what
                + TimeUnit.NANOSECONDS.toMillis(readNanos) + " ms");
        // Written from after the decoder, so it is encoded as HTTP; no request reaches the API any more.
        HttpChannelHandler.write(messagesContext, ApiError.user(408, "RequestTimeoutException", "request: "
                + (headersRead ? "the body paused for more than " : "the headers did not arrive whole within ")
                + TimeUnit.NANOSECONDS.toMillis(readNanos) + " ms (expected: a whole request within "
                + TimeUnit.NANOSECONDS.toMillis(readNanos) + " ms of its first byte, and no longer pause in its body)")
                .toResponse(), false);
    }
}
