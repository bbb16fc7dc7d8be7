package dev.floe.common.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Answers one request: {@code /metrics} and {@code /healthz} to GET (and HEAD), 405 to other methods
 * on them, 404 elsewhere. It scrapes on the event loop: reading a few hundred meters takes well under
 * a millisecond and does no I/O, so a hand-off would cost more than it saves.
 */
final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final System.Logger LOG = System.getLogger(MetricsHandler.class.getName());
    private static final String TEXT = "text/plain; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final Supplier<Health> health;

    MetricsHandler(PrometheusMeterRegistry registry, Supplier<Health> health) {
        this.registry = registry;
        this.health = health;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            send(ctx, request, false, HttpResponseStatus.BAD_REQUEST, TEXT, "malformed request (expected: HTTP/1.1 GET /metrics or /healthz)\n");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        boolean known = path.equals("/metrics") || path.equals("/healthz");
        if (!known) {
            send(ctx, request, true, HttpResponseStatus.NOT_FOUND, TEXT, "no such path: " + path + " (expected: /metrics or /healthz)\n");
            return;
        }
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            FullHttpResponse refused = response(HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT,
                    method + " " + path + ": not allowed (expected: GET or HEAD)\n");
            refused.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            write(ctx, request, true, refused);
            return;
        }
        if (path.equals("/metrics")) {
            String text;
            try {
                text = registry.scrape(MetricsServer.CONTENT_TYPE);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "metrics scrape failed", e);
                send(ctx, request, true, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, "scrape failed: " + e + "\n");
                return;
            }
            send(ctx, request, true, HttpResponseStatus.OK, MetricsServer.CONTENT_TYPE, text);
        } else {
            Health now = health.get();
            send(ctx, request, true, now.ok() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, now.detail() + "\n");
        }
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, boolean mayKeepAlive, HttpResponseStatus status,
            String contentType, String body) {
        write(ctx, request, mayKeepAlive, response(status, contentType, body));
    }

    private static void write(ChannelHandlerContext ctx, FullHttpRequest request, boolean mayKeepAlive, FullHttpResponse response) {
        if (request.method().equals(HttpMethod.HEAD)) {
            // HEAD: the headers of the GET, Content-Length included, and no body.
            response.content().clear();
        }
        boolean keepAlive = mayKeepAlive && HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A peer that resets the connection is no error of ours.
        ctx.close();
    }
}
