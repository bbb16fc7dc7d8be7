package dev.floe.controller.web;

import dev.floe.common.ClusterToken;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The web view's routes. A browser proves it may look with the cluster token or the read-only web token,
 * given once, as {@code ?token=TOKEN} on any page or through the login form; the answer keeps it in an
 * HttpOnly, SameSite=Strict cookie and sends the browser on to the page without it in the address.
 */
final class WebHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final int MAX_REQUEST_BYTES = 16 * 1024;
    static final String COOKIE = "floe_web";
    /** The page and its assets, from the jar: no build step, nothing from the internet. */
    private static final Map<String, String> ASSETS = Map.of(
            "/", "text/html; charset=utf-8",
            "/app.js", "text/javascript; charset=utf-8",
            "/app.css", "text/css; charset=utf-8",
            "/favicon.svg", "image/svg+xml");

    private final List<ClusterToken> tokens;
    private final Supplier<String> state;
    private final ChannelGroup watchers;

    WebHandler(List<ClusterToken> tokens, Supplier<String> state, ChannelGroup watchers) {
        this.tokens = tokens;
        this.state = state;
        this.watchers = watchers;
    }

    static byte[] event(String json) {
        return WebView.utf8("event: state\ndata: " + json + "\n\n");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        List<String> given = uri.parameters().get("token");
        if (request.method().equals(HttpMethod.POST) && path.equals("/login")) {
            String form = request.content().toString(StandardCharsets.UTF_8);
            List<String> token = new QueryStringDecoder(form, false).parameters().get("token");
            admit(ctx, request, token == null ? null : token.getFirst(), "/");
            return;
        }
        if (given != null) {
            admit(ctx, request, given.getFirst(), path);
            return;
        }
        if (!request.method().equals(HttpMethod.GET)) {
            send(ctx, request, text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET (and POST /login)\n"));
            return;
        }
        if (!path.equals("/") && ASSETS.containsKey(path)) {
            // The page's code, style and icon hold no data of the fleet: the login page uses them too.
            send(ctx, request, full(HttpResponseStatus.OK, ASSETS.get(path), asset(path)));
            return;
        }
        if (!admitted(request)) {
            send(ctx, request, login(path.equals("/") ? null : "this page needs the cluster token or the read-only web token"));
            return;
        }
        switch (path) {
            case "/state" -> send(ctx, request, full(HttpResponseStatus.OK, "application/json", WebView.utf8(state.get())));
            case "/events" -> watch(ctx);
            default -> {
                String type = ASSETS.get(path);
                if (type == null) {
                    send(ctx, request, text(HttpResponseStatus.NOT_FOUND, "no such page: " + path + "\n"));
                } else {
                    send(ctx, request, full(HttpResponseStatus.OK, type, asset(path.equals("/") ? "/index.html" : path)));
                }
            }
        }
    }

    private void watch(ChannelHandlerContext ctx) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.write(response);
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(event(state.get()))));
        watchers.add(ctx.channel());
    }

    private boolean admitted(FullHttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.COOKIE);
        if (header == null) {
            return false;
        }
        for (Cookie c : ServerCookieDecoder.STRICT.decode(header)) {
            if (c.name().equals(COOKIE) && valid(c.value())) {
                return true;
            }
        }
        return false;
    }

    private boolean valid(String presented) {
        if (presented == null) {
            return false;
        }
        ClusterToken token;
        try {
            token = ClusterToken.parse(presented);
        } catch (IllegalArgumentException e) {
            return false;
        }
        boolean match = false;
        for (ClusterToken t : tokens) {
            match |= t.equals(token); // constant time, and every token compared
        }
        return match;
    }

    private void admit(ChannelHandlerContext ctx, FullHttpRequest request, String presented, String then) {
        if (!valid(presented)) {
            send(ctx, request, login("that token opens no view of this fleet (expected: the cluster token, ~/.floe/token,"
                    + " or the read-only web token in the controller's data directory, web-token)"));
            return;
        }
        DefaultCookie cookie = new DefaultCookie(COOKIE, presented.strip());
        cookie.setHttpOnly(true);
        cookie.setPath("/");
        cookie.setSameSite(io.netty.handler.codec.http.cookie.CookieHeaderNames.SameSite.Strict);
        FullHttpResponse response = full(HttpResponseStatus.SEE_OTHER, "text/plain; charset=utf-8", WebView.utf8("on to " + then + "\n"));
        response.headers().set(HttpHeaderNames.LOCATION, then.startsWith("/") && !then.startsWith("//") ? then : "/")
                .set(HttpHeaderNames.SET_COOKIE, ServerCookieEncoder.STRICT.encode(cookie));
        send(ctx, request, response);
    }

    private static FullHttpResponse login(String problem) {
        String page = new String(asset("/login.html"), StandardCharsets.UTF_8)
                .replace("{{problem}}", problem == null ? "" : "<p class=\"problem\">" + problem + "</p>");
        return full(HttpResponseStatus.UNAUTHORIZED, "text/html; charset=utf-8", WebView.utf8(page));
    }

    private static byte[] asset(String path) {
        try (InputStream in = WebHandler.class.getResourceAsStream("assets" + path)) {
            if (in == null) {
                throw new IllegalStateException("the web view's asset " + path + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return full(status, "text/plain; charset=utf-8", WebView.utf8(body));
    }

    private static FullHttpResponse full(HttpResponseStatus status, String type, byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff")
                .set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:");
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
