package dev.floe.controller.lambdaapi;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * The two events of InvokeWithResponseStream's event stream, as event-stream messages: {@code
 * PayloadChunk}, a piece of the function's response as it came, and {@code InvokeComplete}, the last,
 * with the error (if any) and the log tail (API reference: InvokeWithResponseStreamResponseEvent).
 */
final class ResponseStreamEvents {
    private ResponseStreamEvents() {}

    static byte[] payloadChunk(byte[] piece) {
        return EventStreamEncoder.encode(headers("PayloadChunk", "application/octet-stream"), piece);
    }

    /**
     * The end of the stream. Each argument is left out of the JSON when null, as Lambda leaves out what
     * does not apply (no error, no tail asked for).
     *
     * @param logResult the last 4 KB of the log, base64
     */
    static byte[] invokeComplete(String errorCode, String errorDetails, String logResult) {
        JsonObject body = new JsonObject();
        if (errorCode != null) {
            body.addProperty("ErrorCode", errorCode);
        }
        if (errorDetails != null) {
            body.addProperty("ErrorDetails", errorDetails);
        }
        if (logResult != null) {
            body.addProperty("LogResult", logResult);
        }
        return EventStreamEncoder.encode(headers("InvokeComplete", "application/json"),
                body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static SequencedMap<String, String> headers(String eventType, String contentType) {
        SequencedMap<String, String> headers = new LinkedHashMap<>();
        headers.put(":event-type", eventType);
        headers.put(":content-type", contentType);
        headers.put(":message-type", "event");
        return headers;
    }
}
