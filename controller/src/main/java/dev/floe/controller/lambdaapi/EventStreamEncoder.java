package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SequencedMap;
import java.util.zip.CRC32;

/**
 * AWS's event-stream wire format ({@code application/vnd.amazon.eventstream}), in which
 * InvokeWithResponseStream answers. A message is a 12-byte prelude (total length and headers length,
 * big-endian unsigned 32-bit, then the CRC32 of those 8 bytes), the headers, the payload, and the
 * CRC32 of everything before it. A header is its name's length (1 byte), the name (UTF-8), a value
 * type, and the value; Lambda's events use only strings (type 7: a 2-byte length, then UTF-8). Limits
 * are the format's: a message of at most 16 MB, headers of at most 128 KB, names of 255 bytes, string
 * values of 32,767.
 */
final class EventStreamEncoder {
    static final int PRELUDE_BYTES = 12;
    static final int CRC_BYTES = 4;
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    static final int MAX_HEADERS_BYTES = 128 * 1024;
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_STRING_BYTES = Short.MAX_VALUE;
    /** The value type of a UTF-8 string header. */
    static final byte STRING = 7;

    private EventStreamEncoder() {}

    /** One message: {@code headers} (string values, in their order) and {@code payload}. */
    static byte[] encode(SequencedMap<String, String> headers, byte[] payload) {
        Check.notNull("headers", headers);
        Check.notNull("payload", payload);
        List<byte[]> encoded = new ArrayList<>();
        int headersBytes = 0;
        for (var header : headers.entrySet()) {
            byte[] name = header.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = header.getValue().getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("header name \"" + header.getKey() + "\": " + name.length
                        + " bytes (expected: 1.." + MAX_NAME_BYTES + ")");
            }
            if (value.length > MAX_STRING_BYTES) {
                throw new IllegalArgumentException("header " + header.getKey() + ": a value of " + value.length
                        + " bytes (expected: at most " + MAX_STRING_BYTES + ")");
            }
            encoded.add(name);
            encoded.add(value);
            headersBytes += 1 + name.length + 1 + 2 + value.length;
        }
        if (headersBytes > MAX_HEADERS_BYTES) {
            throw new IllegalArgumentException("headers: " + headersBytes + " bytes (expected: at most " + MAX_HEADERS_BYTES + ")");
        }
        long total = (long) PRELUDE_BYTES + headersBytes + payload.length + CRC_BYTES;
        if (total > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("message: " + total + " bytes (expected: at most " + MAX_MESSAGE_BYTES
                    + "; send a larger payload as several messages)");
        }
        ByteBuffer message = ByteBuffer.allocate((int) total);
        message.putInt((int) total).putInt(headersBytes).putInt(crc(message.array(), 0, 8));
        for (int i = 0; i < encoded.size(); i += 2) {
            byte[] name = encoded.get(i);
            byte[] value = encoded.get(i + 1);
            message.put((byte) name.length).put(name).put(STRING).putShort((short) value.length).put(value);
        }
        message.put(payload);
        message.putInt(crc(message.array(), 0, message.position()));
        return message.array();
    }

    private static int crc(byte[] bytes, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, from, length);
        return (int) crc.getValue();
    }
}
