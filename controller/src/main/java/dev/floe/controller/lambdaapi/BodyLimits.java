package dev.floe.controller.lambdaapi;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Refuses a request whose declared body is over its operation's limit before the body is gathered in
 * memory: an Invoke over 6 MB (1 MB for {@code Event}) gets Lambda's {@code RequestTooLargeException}
 * (413), anything else over {@link #MAX_BODY_BYTES}. The body is read and dropped, so the client,
 * which may still be sending it, then reads the answer on a connection that stays usable. Bodies
 * without a declared length are measured after gathering, against {@link #MAX_BODY_BYTES} here and
 * the operation's limit in {@link InvokeOperation}.
 */
final class BodyLimits extends ChannelInboundHandlerAdapter {
    /** A 50 MB zip in base64 is 67 MB; the rest of a CreateFunction body is small. */
    static final int MAX_BODY_BYTES = 72 * 1024 * 1024;

    /** The refusal waiting for the end of the dropped body; null when passing messages on. */
    private ApiError refusal;
    private HttpRequest refused;
    /** Set once a refusal closes the connection: whatever else comes is dropped. */
    private boolean closing;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
            refusal = check(request);
            if (refusal != null) {
                refused = request;
                if (HttpUtil.is100ContinueExpected(request)) {
                    // Tell the client now rather than take a body that will be dropped.
                    ReferenceCountUtil.release(msg);
                    closing = true;
                    answer(ctx, true);
                    return;
                }
            }
        }
        if (refusal == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean last = msg instanceof LastHttpContent;
        ReferenceCountUtil.release(msg);
        if (last) {
            answer(ctx, false);
        }
    }

    private void answer(ChannelHandlerContext ctx, boolean close) {
        ApiError error = refusal;
        HttpRequest request = refused;
        refusal = null;
        refused = null;
        ctx.fireUserEventTriggered(new Refused(request, error, close));
    }

    /** The refusal of a request by size alone, for {@link HttpChannelHandler} to send. */
    record Refused(HttpRequest request, ApiError error, boolean close) {}

    private static ApiError check(HttpRequest request) {
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared < 0) {
            return null;
        }
        String target = request.uri();
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (Route.invokes(request.method().name(), path)) {
            InvokeOperation.Type type;
            try {
                type = InvokeOperation.type(request.headers().get("X-Amz-Invocation-Type"));
            } catch (ApiError.ApiException e) {
                return null; // refused with its own message once read
            }
            int limit = InvokeOperation.limit(type);
            if (declared > limit) {
                return ApiError.user(413, dev.floe.common.ErrorType.REQUEST_TOO_LARGE.wireName(), "payload: " + declared
                        + " bytes (expected: at most " + limit + " for a" + (type == InvokeOperation.Type.EVENT
                        ? "n asynchronous" : " synchronous") + " invocation)");
            }
        }
        if (declared > MAX_BODY_BYTES) {
            return ApiError.user(413, dev.floe.common.ErrorType.REQUEST_TOO_LARGE.wireName(), "request body: " + declared
                    + " bytes (expected: at most " + MAX_BODY_BYTES + ")");
        }
        return null;
    }
}
