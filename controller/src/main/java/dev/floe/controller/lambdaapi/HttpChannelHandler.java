package dev.floe.controller.lambdaapi;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One connection's requests, as {@link RequestGate} lets them through whole: each is handed to {@link
 * LambdaApi} on the controller's handler threads (an upload is decoded into the code store), but a small
 * Invoke, which only reads memory before its asynchronous call to a worker, is handled on the event loop;
 * and the connection reads nothing more until the answer is written, so answers keep the requests' order.
 * A request the gate refused (not HTTP, unsigned, too large) is answered and the connection closed;
 * nothing a client sends reaches the domain unparsed. An InvokeWithResponseStream is answered in pieces
 * through an {@link HttpResponseStream}. An upload's body file is deleted once its request is answered.
 */
final class HttpChannelHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(HttpChannelHandler.class.getName());

    /** How long a connection being closed keeps reading what its client still sends. */
    static final Duration LINGER = Duration.ofSeconds(2);
    /** Invokes with bodies up to this size are handled on the event loop (checking them takes microseconds). */
    static final int INLINE_INVOKE_BYTES = 64 * 1024;

    private final LambdaApi api;
    private final Executor executor;
    /** The connection's last InvokeWithResponseStream answer, told when the channel's writability changes. */
    private HttpResponseStream streaming;

    HttpChannelHandler(LambdaApi api, Executor executor) {
        this.api = api;
        this.executor = executor;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof RequestGate.Arrived arrived)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        boolean keepAlive = arrived.keepAlive();
        LambdaRequest lambdaRequest = arrived.request();
        ctx.channel().config().setAutoRead(false);
        Runnable handle;
        if (Route.streamsResponse(lambdaRequest.method(), lambdaRequest.rawPath())) {
            HttpResponseStream stream = new HttpResponseStream(ctx, keepAlive);
            streaming = stream;
            handle = () -> api.handleStream(lambdaRequest, stream).whenComplete((response, failure) -> {
                if (failure != null) {
                    stream.abandon();
                    write(ctx, ApiError.of(failure).toResponse(), keepAlive);
                } else {
                    response.ifPresent(r -> {
                        stream.abandon();
                        write(ctx, r, keepAlive);
                    });
                }
            });
        } else {
            handle = () -> api.handle(lambdaRequest).whenComplete((response, failure) -> {
                deleteSpooled(lambdaRequest);
                write(ctx, failure == null ? response : ApiError.of(failure).toResponse(), keepAlive);
            });
        }
        if (Route.invokes(lambdaRequest.method(), lambdaRequest.rawPath())
                && lambdaRequest.body().length <= INLINE_INVOKE_BYTES
                && !"Event".equals(lambdaRequest.header("x-amz-invocation-type"))) {
            // A small synchronous Invoke touches only memory before the Invoker's asynchronous call: no
            // hand-off. An Event waits for its commit to disk, so it goes to the executor.
            handle.run();
            return;
        }
        try {
            executor.execute(handle);
        } catch (RejectedExecutionException stopping) {
            deleteSpooled(lambdaRequest);
            write(ctx, ApiError.of(new dev.floe.common.FloeException(dev.floe.common.ErrorType.SERVICE_UNAVAILABLE,
                    "the controller is stopping")).toResponse(), false);
        }
    }

    /** An upload's body file, once its request is answered. */
    private static void deleteSpooled(LambdaRequest request) {
        if (request.spooled() != null) {
            try {
                java.nio.file.Files.deleteIfExists(request.spooled());
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not delete " + request.spooled() + "; removed at the next start", e);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (streaming != null) {
            streaming.writabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof RequestGate.Refused refused) {
            ctx.channel().config().setAutoRead(false);
            write(ctx, refused.error().toResponse(), false);
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, "Lambda API connection from " + ctx.channel().remoteAddress() + " failed", cause);
        ctx.close();
    }

    /** Writes the answer from {@code ctx}'s place in the pipeline; closes the connection after it unless kept alive. */
    static void write(ChannelHandlerContext ctx, ApiResponse response, boolean keepAlive) {
        FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(response.status()),
                Unpooled.wrappedBuffer(response.body()));
        response.headers().forEach(http.headers()::set);
        if (!http.headers().contains("x-amzn-RequestId")) {
            http.headers().set("x-amzn-RequestId", UUID.randomUUID().toString());
        }
        http.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        http.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(http).addListener((ChannelFutureListener) f -> afterAnswer(f, keepAlive));
    }

    /** Once an answer is written: reads the next request, or closes the connection. */
    static void afterAnswer(ChannelFuture written, boolean keepAlive) {
        if (keepAlive && written.isSuccess()) {
            written.channel().config().setAutoRead(true);
        } else {
            closeGracefully(written.channel());
        }
    }

    /**
     * Ends the answer with a FIN rather than closing outright: a socket closed with the client's bytes
     * still unread is reset, and a reset can destroy the answer before the client reads it. What the
     * client still sends is read and dropped until it closes, or for at most {@link #LINGER}.
     */
    private static void closeGracefully(Channel channel) {
        if (!(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(true);
        duplex.shutdownOutput().addListener(done -> {
            if (!done.isSuccess()) {
                channel.close();
            }
        });
        channel.eventLoop().schedule(() -> channel.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
    }
}
