package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

/**
 * The event-stream encoder against vectors laid out by hand from the format: prelude (total length,
 * headers length, CRC32 of those 8 bytes), headers, payload, CRC32 of all before it. The CRCs were
 * computed apart from Java (zlib's crc32); the empty message's is also the format's own example.
 */
class EventStreamEncoderTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void anEmptyMessageIsItsPreludeAndTwoCrcs() {
        assertEquals("00000010" + "00000000" + "05c248eb" + "7d98c8ff",
                HEX.formatHex(EventStreamEncoder.encode(new LinkedHashMap<>(), new byte[0])));
    }

    @Test
    void aStringHeaderIsNameLengthNameTypeSevenValueLengthValue() {
        SequencedMap<String, String> headers = new LinkedHashMap<>();
        headers.put("k", "v");
        String expected = "00000018" + "00000006" + "dcd1a61f"  // 24 bytes in all, 6 of headers
                + "01" + "6b" + "07" + "0001" + "76"             // "k", string, "v"
                + "7b7d"                                         // payload {}
                + "4c88dc91";
        assertEquals(expected, HEX.formatHex(EventStreamEncoder.encode(headers, "{}".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aPayloadChunkIsLambdasEventWithThePieceAsItsPayload() {
        String expected = "00000071" + "0000005a" + "2a2eaefc"
                + "0b" + hex(":event-type") + "07" + "000c" + hex("PayloadChunk")
                + "0d" + hex(":content-type") + "07" + "0018" + hex("application/octet-stream")
                + "0d" + hex(":message-type") + "07" + "0005" + hex("event")
                + hex("piece 1")
                + "7d844cca";
        assertEquals(expected, HEX.formatHex(ResponseStreamEvents.payloadChunk("piece 1".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void invokeCompleteCarriesOnlyWhatApplies() {
        byte[] message = ResponseStreamEvents.invokeComplete("Sandbox.Timedout", "timed out after 3 s", "bG9n");
        JsonObject body = JsonParser.parseString(new String(payload(message), StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("Sandbox.Timedout", body.get("ErrorCode").getAsString());
        assertEquals("timed out after 3 s", body.get("ErrorDetails").getAsString());
        assertEquals("bG9n", body.get("LogResult").getAsString());
        assertTrue(new String(message, StandardCharsets.UTF_8).contains("InvokeComplete"));
        assertEquals("{}", new String(payload(ResponseStreamEvents.invokeComplete(null, null, null)), StandardCharsets.UTF_8));
    }

    @Test
    void outOfRangeInputIsRefusedSayingWhatWasExpected() {
        SequencedMap<String, String> longName = new LinkedHashMap<>();
        longName.put("n".repeat(256), "v");
        assertEquals("header name \"" + "n".repeat(256) + "\": 256 bytes (expected: 1..255)",
                assertThrows(IllegalArgumentException.class, () -> EventStreamEncoder.encode(longName, new byte[0])).getMessage());
        SequencedMap<String, String> longValue = new LinkedHashMap<>();
        longValue.put("k", "v".repeat(32_768));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EventStreamEncoder.encode(longValue, new byte[0]))
                .getMessage().contains("expected: at most 32767"));
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> EventStreamEncoder.encode(new LinkedHashMap<>(), new byte[16 * 1024 * 1024]));
        assertTrue(big.getMessage().contains("expected: at most 16777216"), big.getMessage());
    }

    @Test
    void aMessageAsLargeAsTheFormatAllowsIsEncoded() {
        byte[] payload = new byte[EventStreamEncoder.MAX_MESSAGE_BYTES - 16];
        Arrays.fill(payload, (byte) 'x');
        byte[] message = EventStreamEncoder.encode(new LinkedHashMap<>(), payload);
        assertEquals(EventStreamEncoder.MAX_MESSAGE_BYTES, ByteBuffer.wrap(message).getInt());
        assertArrayEquals(payload, payload(message));
    }

    /** The payload of one message, read by its prelude. */
    static byte[] payload(byte[] message) {
        ByteBuffer b = ByteBuffer.wrap(message);
        int total = b.getInt();
        int headers = b.getInt();
        return Arrays.copyOfRange(message, 12 + headers, total - 4);
    }

    private static String hex(String text) {
        return HEX.formatHex(text.getBytes(StandardCharsets.UTF_8));
    }
}
