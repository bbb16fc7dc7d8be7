package dev.floe.controller.lambdaapi;

import dev.floe.common.ErrorType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides on a request from its headers, before its body is read, then takes the body in as it
 * arrives. From the headers: the operation ({@link Route}) and its body limit; the signature, when keys
 * are required ({@link SigV4Verifier#checkHead}: an unsigned request, or one signed with a key not
 * configured, is refused here, its body never read); a declared length over the limit. Each refusal is
 * answered at once and the connection closed (its client may still be sending the body, which is then
 * dropped as it comes, never kept). A request that passes marks its connection trusted ({@link
 * ConnectionCap#trust}).
 *
 * <p>Then the body, counted as it arrives against the operation's limit (413 as soon as it passes it,
 * whether or not a length was declared): a code upload (CreateFunction, UpdateFunctionCode: up to 72 MB)
 * is written to a file under {@code uploads} as each piece arrives, so the controller's memory holds one
 * piece of it at a time, not the body; any other body (at most 6 MB) is kept in the pieces Netty read it
 * into (off the heap) and copied once into the request. The SHA-256 a signature needs is taken on the way.
 * The whole request goes on as one {@link Arrived}.
 */
final class RequestGate extends ChannelInboundHandlerAdapter {
    /** A 50 MB zip in base64 is 67 MB; the rest of a CreateFunction body is small. */
    static final int UPLOAD_MAX_BYTES = 72 * 1024 * 1024;
    /** Operations other than uploads and invocations carry a few fields. */
    static final int OTHER_MAX_BYTES = 1024 * 1024;

    /** A request received whole, for {@link HttpChannelHandler}. */
    record Arrived(LambdaRequest request, boolean keepAlive) {}

    /** A request refused before it was read whole, for {@link HttpChannelHandler} to answer; the connection then closes. */
    record Refused(ApiError error) {}

    private final LambdaApi api;
    private final ConnectionCap cap;
    private final Path uploads;

    /** Set after a refusal: whatever else comes on the connection is dropped. */
    private boolean closing;
    private LambdaRequest head;
    private boolean keepAlive;
    private String operation;
    private long limit;
    private boolean invoke;
    private long received;
    private MessageDigest digest;
    /** The body in memory, as Netty read it; null for an upload. */
    private CompositeByteBuf pieces;
    /** An upload's file and its channel; null otherwise. */
    private Path file;
    private FileChannel spool;

    RequestGate(LambdaApi api, ConnectionCap cap, Path uploads) {
        this.api = api;
        this.cap = cap;
        this.uploads = uploads;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpRequest request) {
                start(ctx, request);
            }
            if (msg instanceof HttpContent content && head != null && !closing) {
                take(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(ChannelHandlerContext ctx, HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            refuse(ctx, ApiError.invalid("not an HTTP/1.1 request Floe can read (" + (cause == null ? "malformed"
                    : cause.getMessage()) + ")"));
            return;
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        request.headers().forEach(h -> headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue()));
        LambdaRequest arriving = LambdaRequest.of(request.method().name(), request.uri(), headers, null);
        Optional<Route> route = Route.of(arriving.method(), arriving.rawPath());
        Optional<ApiError> unsigned = api.checkHead(arriving);
        if (unsigned.isPresent()) {
            refuse(ctx, unsigned.get());
            return;
        }
        cap.trust(ctx.channel());
        operation = route.map(Route::operationName).orElse("this request");
        invoke = Route.invokes(arriving.method(), arriving.rawPath());
        limit = limit(route, arriving);
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > limit) {
            refuse(ctx, tooLarge(declared + " bytes"));
            return;
        }
        head = arriving;
        keepAlive = HttpUtil.isKeepAlive(request);
        received = 0;
        digest = api.signaturesRequired() ? sha256() : null;
        boolean upload = route.map(r -> r.operation() == Route.Operation.CREATE_FUNCTION
                || r.operation() == Route.Operation.UPDATE_FUNCTION_CODE).orElse(false);
        if (upload) {
            try {
                file = Files.createTempFile(uploads, "upload-", ".json");
                spool = FileChannel.open(file, StandardOpenOption.WRITE);
            } catch (IOException e) {
                failed(ctx, e);
                return;
            }
        } else {
            pieces = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
    }

    private void take(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf data = content.content();
        int n = data.readableBytes();
        received += n;
        if (received > limit) {
            refuse(ctx, tooLarge("more than " + limit + " bytes"));
            return;
        }
        if (n > 0) {
            if (digest != null) {
                for (ByteBuffer b : data.nioBuffers()) {
                    digest.update(b);
                }
            }
            if (spool != null) {
                try {
                    for (ByteBuffer b : data.nioBuffers()) {
                        while (b.hasRemaining()) {
                            spool.write(b);
                        }
                    }
                } catch (IOException e) {
                    failed(ctx, e);
                    return;
                }
            } else {
                pieces.addComponent(true, data.retain());
            }
        }
        if (content instanceof LastHttpContent) {
            finish(ctx);
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        String sha = digest == null ? null : HexFormat.of().formatHex(digest.digest());
        LambdaRequest whole;
        if (spool != null) {
            try {
                spool.close();
            } catch (IOException e) {
                failed(ctx, e);
                return;
            }
            whole = head.withBody(null, file, sha);
            spool = null;
            file = null; // the handler owns it now, and deletes it once answered
        } else {
            whole = head.withBody(ByteBufUtil.getBytes(pieces), null, sha);
            pieces.release();
            pieces = null;
        }
        boolean alive = keepAlive;
        head = null;
        digest = null;
        ctx.fireChannelRead(new Arrived(whole, alive));
    }

    private ApiError tooLarge(String size) {
        String what = invoke ? "payload: " : "request body: ";
        String expected = invoke ? "at most " + limit + " for a" + (limit == InvokeOperation.ASYNC_PAYLOAD_MAX_BYTES
                ? "n asynchronous" : " synchronous") + " invocation" : "at most " + limit + " for " + operation;
        return ApiError.user(413, ErrorType.REQUEST_TOO_LARGE.wireName(), what + size + " (expected: " + expected + ")");
    }

    /** The most a request's body may hold: its invocation type's payload limit for an invoke, else by operation. */
    private static long limit(Optional<Route> route, LambdaRequest head) {
        if (Route.invokes(head.method(), head.rawPath())) {
            try {
                return InvokeOperation.limit(InvokeOperation.type(head.header("x-amz-invocation-type")));
            } catch (ApiError.ApiException e) {
                return InvokeOperation.limit(InvokeOperation.Type.REQUEST_RESPONSE); // refused with its own message once read
            }
        }
        return route.map(r -> r.operation() == Route.Operation.CREATE_FUNCTION || r.operation() == Route.Operation.UPDATE_FUNCTION_CODE
                ? UPLOAD_MAX_BYTES : OTHER_MAX_BYTES).orElse((int) OTHER_MAX_BYTES);
    }

    private void failed(ChannelHandlerContext ctx, IOException e) {
        refuse(ctx, new ApiError(503, ErrorType.SERVICE.wireName(), false, "the controller could not store the request's body ("
                + e.getMessage() + "); try again later"));
    }

    /** Answers {@code error} and closes the connection; nothing more is read into memory or disk. */
    private void refuse(ChannelHandlerContext ctx, ApiError error) {
        closing = true;
        discard();
        ctx.fireUserEventTriggered(new Refused(error));
    }

    private void discard() {
        head = null;
        if (pieces != null) {
            pieces.release();
            pieces = null;
        }
        if (spool != null) {
            try {
                spool.close();
            } catch (IOException ignored) {
                // deleted below all the same
            }
            spool = null;
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the uploads directory is emptied at the next start
            }
            file = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discard();
        ctx.fireChannelInactive();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
