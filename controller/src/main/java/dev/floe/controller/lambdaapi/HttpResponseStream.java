package dev.floe.controller.lambdaapi;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Map;
import java.util.UUID;

/**
 * A {@link StreamedResponse} over one HTTP/1.1 connection: a chunked 200, one HTTP chunk per message.
 * The next message is asked for only while the channel is writable (its outbound buffer under Netty's
 * 64 KB high-water mark), else when it becomes writable again ({@link #writabilityChanged()}): a client
 * that reads slowly fills its TCP window, then this buffer, and then holds the worker and the function
 * back, as a slow gRPC caller does. Everything runs on the connection's event loop.
 */
final class HttpResponseStream implements StreamedResponse {
    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    /** What asks for the next message, while the channel is not writable. */
    private Runnable waiting;
    private ChannelFutureListener goneListener;
    private boolean ended;

    HttpResponseStream(ChannelHandlerContext ctx, boolean keepAlive) {
        this.ctx = ctx;
        this.keepAlive = keepAlive;
    }

    @Override
    public void begin(Map<String, String> headers) {
        onLoop(() -> {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            headers.forEach(response.headers()::set);
            if (!response.headers().contains("x-amzn-RequestId")) {
                response.headers().set("x-amzn-RequestId", UUID.randomUUID().toString());
            }
            HttpUtil.setTransferEncodingChunked(response, true);
            response.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
            ctx.write(response);
        });
    }

    @Override
    public void send(byte[] message, Runnable more) {
        onLoop(() -> {
            if (!ctx.channel().isActive()) {
                return; // the client is gone: the invocation is cancelled and the Invoker drops the rest
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(message)));
            waiting = more;
            writabilityChanged();
        });
    }

    @Override
    public void end() {
        onLoop(() -> {
            forget();
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener((ChannelFutureListener) f ->
                    HttpChannelHandler.afterAnswer(f, keepAlive));
        });
    }

    @Override
    public void onGone(Runnable gone) {
        onLoop(() -> {
            if (ended) {
                return;
            }
            goneListener = f -> gone.run();
            ctx.channel().closeFuture().addListener(goneListener);
        });
    }

    /** The answer went out as an ordinary response instead (a refusal before anything was sent). */
    void abandon() {
        onLoop(this::forget);
    }

    private void forget() {
        ended = true;
        waiting = null;
        if (goneListener != null) {
            ctx.channel().closeFuture().removeListener(goneListener);
            goneListener = null;
        }
    }

    /** The channel's writability changed: if it can take more now, the next message is asked for. */
    void writabilityChanged() {
        if (waiting != null && ctx.channel().isWritable()) {
            Runnable next = waiting;
            waiting = null;
            next.run();
        }
    }

    private void onLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }
}
