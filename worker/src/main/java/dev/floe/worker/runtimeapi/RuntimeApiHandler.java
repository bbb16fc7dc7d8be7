package dev.floe.worker.runtimeapi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

/**
 * One connection of a runtime to its environment's endpoint: routes the four Runtime API calls,
 * collects request bodies up to the size limit (a larger one is discarded as it arrives and answered
 * 413), and answers with the specification's status codes and JSON bodies.
 */
final class RuntimeApiHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(RuntimeApiHandler.class.getName());
    static final String PREFIX = "/2018-06-01/runtime/";
    static final String REQUEST_ID = "Lambda-Runtime-Aws-Request-Id";
    static final String DEADLINE_MS = "Lambda-Runtime-Deadline-Ms";
    static final String FUNCTION_ARN = "Lambda-Runtime-Invoked-Function-Arn";
    static final String TRACE_ID = "Lambda-Runtime-Trace-Id";
    static final String CLIENT_CONTEXT = "Lambda-Runtime-Client-Context";
    static final String COGNITO_IDENTITY = "Lambda-Runtime-Cognito-Identity";
    static final String ERROR_TYPE = "Lambda-Runtime-Function-Error-Type";
    /** A response sent in pieces as the function makes them (Lambda's response streaming). */
    static final String RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode";
    /** Trailers of a streamed response that failed after it began: the error's type and its body (base64). */
    static final String ERROR_BODY = "Lambda-Runtime-Function-Error-Body";
    /** Lambda's limit on a streamed response. */
    static final long STREAM_MAX_BYTES = 20L * 1024 * 1024;
    /**
     * The largest piece of a streamed response passed on at once (two of the decoder's chunks, or of
     * Netty's reads, of at most 64 KB each): what a paused stream may hold beyond its kernel buffer, and
     * one message to the controller. Measured ({@code floe bench-stream}): what a message costs is its
     * trips between threads rather than its bytes, so 128 KB moves a stream about a third faster than 64 KB.
     */
    static final int STREAM_PIECE_BYTES = 128 * 1024;

    private final RuntimeEndpoint endpoint;
    private final int maxBodyBytes;

    private HttpRequest request;
    private CompositeByteBuf body;
    private long bodyBytes;
    private boolean oversized;
    /** The body answers an invocation the endpoint does not expect: it is dropped as it arrives, and the call refused. */
    private boolean discarding;
    private Waiter parked;
    /** The request id whose response is streaming through this request, or null. */
    private String streaming;
    /** Pauses reading this connection while the streamed response's reader cannot take more. */
    private ReadGate reads;
    /**
     * The streamed response's body read from the socket in this read and not passed on yet: the decoder
     * splits one read into pieces at chunk boundaries, and they go on together as one piece (up to
     * {@link #STREAM_PIECE_BYTES}), so a read costs its reader one message however the runtime framed its chunks.
     */
    private CompositeByteBuf unsent;

    RuntimeApiHandler(RuntimeEndpoint endpoint, int maxBodyBytes) {
        this.endpoint = endpoint;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest head) {
                startRequest(ctx, head);
            }
            if (msg instanceof HttpContent content && request != null) {
                if (content.decoderResult().isFailure()) {
                    // a truncated or malformed chunked body: nothing of it may be taken as an answer
                    request = null;
                    releaseBody();
                    writeError(ctx, false, HttpResponseStatus.BAD_REQUEST, "InvalidRequest",
                            "malformed HTTP body: " + content.decoderResult().cause().getMessage());
                    return;
                }
                if (streaming != null) {
                    relay(ctx, content);
                    return;
                }
                accumulate(ctx, content.content());
                if (content instanceof LastHttpContent) {
                    finishRequest(ctx);
                }
            }
        } catch (RuntimeException e) {
            // A bug of ours must not look to the runtime like a dropped connection.
            LOG.log(System.Logger.Level.ERROR, "Runtime API request failed", e);
            writeError(ctx, false, HttpResponseStatus.INTERNAL_SERVER_ERROR, "Runtime.ContainerError", "internal error: " + e);
        } finally {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private void startRequest(ChannelHandlerContext ctx, HttpRequest head) {
        if (!head.decoderResult().isSuccess()) {
            writeError(ctx, false, HttpResponseStatus.BAD_REQUEST, "InvalidRequest",
                    "malformed HTTP request: " + head.decoderResult().cause().getMessage());
            return;
        }
        if (parked != null && !parked.answered) {
            // One request at a time on a connection: a request behind a waiting next cannot be answered in order.
            writeError(ctx, false, HttpResponseStatus.BAD_REQUEST, "InvalidRequest",
                    "a request arrived while this connection waits for the next invocation (expected: one request at a time)");
            return;
        }
        request = head;
        String streamed = requestIdOf(head.uri());
        if (streamed != null && "streaming".equalsIgnoreCase(head.headers().get(RESPONSE_MODE, ""))
                && head.method().equals(HttpMethod.POST) && head.uri().endsWith("/response") && endpoint.expects(streamed)) {
            streaming = streamed;
            bodyBytes = 0;
            reads = new ReadGate(ctx.channel());
            if (HttpUtil.is100ContinueExpected(head)) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            endpoint.streamStarted(streamed, reads);
            return;
        }
        body = ctx.alloc().compositeBuffer();
        bodyBytes = 0;
        oversized = false;
        discarding = !worthBuffering(head.uri());
        if (HttpUtil.is100ContinueExpected(head)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        long declared = HttpUtil.getContentLength(head, -1L);
        if (declared > maxBodyBytes) {
            markOversized();
        }
    }

    private void accumulate(ChannelHandlerContext ctx, ByteBuf chunk) {
        bodyBytes += chunk.readableBytes();
        if (!oversized && bodyBytes > maxBodyBytes) {
            markOversized();
        }
        if (!oversized && !discarding && chunk.isReadable()) {
            body.addComponent(true, chunk.retain());
        }
    }

    /** Passes a piece of a streamed response on as it arrives; at its end, its trailers say whether it failed. */
    private void relay(ChannelHandlerContext ctx, HttpContent content) {
        String id = streaming;
        ByteBuf chunk = content.content();
        bodyBytes += chunk.readableBytes();
        if (chunk.isReadable() && bodyBytes <= STREAM_MAX_BYTES) {
            if (unsent != null && unsent.readableBytes() + chunk.readableBytes() > STREAM_PIECE_BYTES) {
                sendUnsent(); // Netty may read the socket several times before the read completes
            }
            if (unsent == null) {
                unsent = ctx.alloc().compositeBuffer();
            }
            unsent.addComponent(true, chunk.retain());
        }
        if (!(content instanceof LastHttpContent last)) {
            return;
        }
        sendUnsent();
        HttpRequest head = request;
        request = null;
        streaming = null;
        endReads();
        boolean keepAlive = HttpUtil.isKeepAlive(head);
        if (bodyBytes > STREAM_MAX_BYTES) {
            endpoint.responseTooLarge(id, STREAM_MAX_BYTES);
            writeError(ctx, keepAlive, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "RequestEntityTooLarge",
                    "the streamed response exceeds the limit of " + STREAM_MAX_BYTES + " bytes");
            return;
        }
        String errorType = last.trailingHeaders().get(ERROR_TYPE, "");
        String errorBody = last.trailingHeaders().get(ERROR_BODY, "");
        byte[] error;
        try {
            error = java.util.Base64.getDecoder().decode(errorBody.trim());
        } catch (IllegalArgumentException e) {
            error = errorBody.getBytes(StandardCharsets.UTF_8);
        }
        write(ctx, keepAlive, endpoint.streamEnded(id, errorType, error));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        sendUnsent();
        ctx.fireChannelReadComplete();
    }

    /** Passes what this read brought of a streamed response on, as one piece. */
    private void sendUnsent() {
        if (unsent == null) {
            return;
        }
        byte[] bytes = new byte[unsent.readableBytes()];
        unsent.readBytes(bytes);
        unsent.release();
        unsent = null;
        if (streaming != null && bytes.length > 0) {
            endpoint.streamChunk(streaming, bytes);
        }
    }

    private void markOversized() {
        oversized = true;
        body.release();
        body = Unpooled.compositeBuffer();
        String id = requestIdOf(request.uri());
        if (id != null) {
            endpoint.responseTooLarge(id, maxBodyBytes);
        }
    }

    private void finishRequest(ChannelHandlerContext ctx) {
        HttpRequest head = request;
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        body.release();
        body = null;
        request = null;
        boolean keepAlive = HttpUtil.isKeepAlive(head);
        if (oversized) {
            writeError(ctx, keepAlive, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "RequestEntityTooLarge",
                    "the body exceeds the limit of " + maxBodyBytes + " bytes");
            return;
        }
        String uri = head.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (!path.startsWith(PREFIX)) {
            writeError(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "NotFound", "no such path: " + path);
            return;
        }
        String route = path.substring(PREFIX.length());
        HttpMethod method = head.method();
        String errorType = head.headers().get(ERROR_TYPE, "");
        Reply reply;
        if (route.equals("invocation/next")) {
            if (!method.equals(HttpMethod.GET)) {
                methodNotAllowed(ctx, keepAlive, "GET");
                return;
            }
            parked = new Waiter(ctx, keepAlive);
            endpoint.next(parked);
            return;
        } else if (route.equals("init/error")) {
            if (!method.equals(HttpMethod.POST)) {
                methodNotAllowed(ctx, keepAlive, "POST");
                return;
            }
            reply = endpoint.initError(errorType, bytes);
        } else if (requestId(route, "/response") != null) {
            if (!method.equals(HttpMethod.POST)) {
                methodNotAllowed(ctx, keepAlive, "POST");
                return;
            }
            reply = endpoint.response(requestId(route, "/response"), bytes);
        } else if (requestId(route, "/error") != null) {
            if (!method.equals(HttpMethod.POST)) {
                methodNotAllowed(ctx, keepAlive, "POST");
                return;
            }
            reply = endpoint.error(requestId(route, "/error"), errorType, bytes);
        } else {
            writeError(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "NotFound", "no such path: " + path);
            return;
        }
        write(ctx, keepAlive, reply);
    }

    /**
     * Whether a request's body may be kept: only an answer to the invocation the environment is
     * running, or an init error during init. Any other body is dropped as it arrives (the call is
     * refused anyway), so a process cannot make the worker hold megabytes it will never use.
     */
    private boolean worthBuffering(String uri) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (!path.startsWith(PREFIX)) {
            return false;
        }
        String route = path.substring(PREFIX.length());
        if (route.equals("init/error")) {
            return endpoint.expectsInitError();
        }
        String id = requestId(route, "/response");
        if (id == null) {
            id = requestId(route, "/error");
        }
        return id != null && endpoint.expects(id);
    }

    /** The request id in {@code invocation/<id><suffix>}, or null if the route is not of that form. */
    private static String requestId(String route, String suffix) {
        String prefix = "invocation/";
        if (!route.startsWith(prefix) || !route.endsWith(suffix) || route.length() <= prefix.length() + suffix.length()) {
            return null;
        }
        String id = route.substring(prefix.length(), route.length() - suffix.length());
        return id.indexOf('/') >= 0 ? null : id;
    }

    private static String requestIdOf(String uri) {
        String prefix = PREFIX + "invocation/";
        if (!uri.startsWith(prefix)) {
            return null;
        }
        String rest = uri.substring(prefix.length());
        int slash = rest.indexOf('/');
        return slash > 0 ? rest.substring(0, slash) : null;
    }

    private void endReads() {
        if (reads != null) {
            reads.end();
            reads = null;
        }
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseBody();
        sendUnsent();
        if (streaming != null) {
            // The runtime went away mid-stream: what was sent stands, the rest is an error.
            endpoint.streamEnded(streaming, "Runtime.StreamInterrupted", new byte[0]);
            streaming = null;
            endReads();
        }
        if (parked != null && !parked.answered) {
            endpoint.waiterGone(parked);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            LOG.log(System.Logger.Level.WARNING, "Runtime API connection failed; closing it", cause);
        }
        ctx.close();
    }

    private void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive, String allowed) {
        writeError(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", "expected " + allowed);
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, Reply reply) {
        if (reply.status() == 202) {
            send(ctx, keepAlive, HttpResponseStatus.ACCEPTED, "{\"status\":\"OK\"}\n".getBytes(StandardCharsets.UTF_8));
        } else {
            writeError(ctx, keepAlive, HttpResponseStatus.valueOf(reply.status()), reply.errorType(), reply.errorMessage());
        }
    }

    private static void writeError(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status,
                                   String errorType, String message) {
        String json = "{\"errorMessage\":" + dev.floe.common.JsonStrings.quote(message) + ",\"errorType\":" + dev.floe.common.JsonStrings.quote(errorType) + "}\n";
        send(ctx, keepAlive && status.code() != 500, status, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] content) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(content));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
        finish(ctx, keepAlive, response);
    }

    private static void finish(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A parked {@code next}: the request stays open until the environment answers it. */
    private final class Waiter implements NextWaiter {
        private final ChannelHandlerContext ctx;
        private final boolean keepAlive;
        private boolean answered;

        Waiter(ChannelHandlerContext ctx, boolean keepAlive) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
        }

        @Override
        public void deliver(InvocationEvent event) {
            if (answered) {
                throw new IllegalStateException("next answered twice");
            }
            answered = true;
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(event.payload()));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, event.payload().length)
                    .set(REQUEST_ID, event.requestId())
                    .set(DEADLINE_MS, Long.toString(event.deadlineEpochMs()))
                    .set(FUNCTION_ARN, event.invokedFunctionArn())
                    .set(TRACE_ID, event.traceId());
            if (!event.clientContext().isEmpty()) {
                response.headers().set(CLIENT_CONTEXT, event.clientContext());
            }
            if (!event.cognitoIdentity().isEmpty()) {
                response.headers().set(COGNITO_IDENTITY, event.cognitoIdentity());
            }
            finish(ctx, keepAlive, response);
        }

        @Override
        public void reject(Reply reply) {
            if (!answered) {
                answered = true;
                write(ctx, keepAlive, reply);
            }
        }

        @Override
        public boolean isOpen() {
            return !answered && ctx.channel().isActive();
        }
    }
}
