package dev.floe.controller.lambdaapi;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.floe.controller.invoke.ChunkSink;
import dev.floe.proto.InvokeResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * One InvokeWithResponseStream answer: the first piece of the function's response begins it (a 200),
 * each piece goes out as a {@code PayloadChunk} at the pace the client reads it, and the invocation's
 * end is the {@code InvokeComplete} event. A failure before the first piece is still an ordinary
 * error response; after it, the status is sent, so the error goes in {@code InvokeComplete}.
 */
final class EventStreamAnswer implements ChunkSink {
    private final StreamedResponse out;
    private final Map<String, String> headers;
    private final boolean tail;
    private boolean begun;

    EventStreamAnswer(StreamedResponse out, Map<String, String> headers, boolean tail) {
        this.out = out;
        this.headers = Map.copyOf(headers);
        this.tail = tail;
    }

    @Override
    public synchronized void accept(ByteString chunk, Runnable more) {
        begin();
        out.send(ResponseStreamEvents.payloadChunk(chunk.toByteArray()), more);
    }

    /**
     * Ends the answer with the invocation's outcome: the response still to write when nothing was sent
     * (a refusal before the stream began), else empty.
     */
    synchronized Optional<ApiResponse> finish(InvokeResponse response, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof CancellationException) {
            return Optional.empty(); // the client went away: nobody reads what would follow
        }
        if (cause != null && !begun) {
            return Optional.of(ApiError.of(cause).toResponse());
        }
        begin();
        byte[] complete;
        if (cause != null) {
            ApiError error = ApiError.of(cause);
            complete = ResponseStreamEvents.invokeComplete(error.type(), error.message(), null);
        } else if (!response.getFunctionError().isEmpty()) {
            String code = response.getErrorType().isEmpty() ? response.getFunctionError() : response.getErrorType();
            complete = ResponseStreamEvents.invokeComplete(code, details(response.getPayload()), logResult(response));
        } else {
            complete = ResponseStreamEvents.invokeComplete(null, null, logResult(response));
        }
        out.send(complete, () -> {});
        out.end();
        return Optional.empty();
    }

    private void begin() {
        if (!begun) {
            begun = true;
            out.begin(headers);
        }
    }

    private String logResult(InvokeResponse response) {
        return tail ? Base64.getEncoder().encodeToString(InvokeOperation.lastBytes(response.getLogTail())) : null;
    }

    /** The error document's {@code errorMessage}, or the whole document when it has none. */
    static String details(ByteString document) {
        String text = document.toString(StandardCharsets.UTF_8);
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (parsed.isJsonObject() && parsed.getAsJsonObject().has("errorMessage")
                    && parsed.getAsJsonObject().get("errorMessage").isJsonPrimitive()) {
                return parsed.getAsJsonObject().get("errorMessage").getAsString();
            }
        } catch (RuntimeException notJson) {
            // a runtime may post any bytes as its error: they are the details
        }
        return text;
    }
}
