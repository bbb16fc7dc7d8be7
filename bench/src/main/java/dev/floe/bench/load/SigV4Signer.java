package dev.floe.bench.load;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a Lambda API request with AWS Signature Version 4, as AWS documents it ("Create a signed AWS
 * API request"): enough for {@code POST} to a path without a query and with plain characters, which
 * is every Invoke the load generator sends.
 */
final class SigV4Signer {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final String keyId;
    private final String secret;
    private final String region;

    SigV4Signer(String keyId, String secret, String region) {
        this.keyId = keyId;
        this.secret = secret;
        this.region = region;
    }

    /** The headers to add to a POST of {@code body} to {@code path} on {@code host} (host:port, as sent). */
    Map<String, String> headers(String host, String path, String bodySha256, Instant now) {
        String amzDate = AMZ_DATE.format(now);
        String day = amzDate.substring(0, 8);
        String signed = "host;x-amz-content-sha256;x-amz-date";
        String canonical = "POST\n" + path + "\n\nhost:" + host + "\nx-amz-content-sha256:" + bodySha256 + "\nx-amz-date:"
                + amzDate + "\n\n" + signed + "\n" + bodySha256;
        String scope = day + "/" + region + "/lambda/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), day);
        key = hmac(key, region);
        key = hmac(key, "lambda");
        key = hmac(key, "aws4_request");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Amz-Date", amzDate);
        headers.put("X-Amz-Content-SHA256", bodySha256);
        headers.put("Authorization", "AWS4-HMAC-SHA256 Credential=" + keyId + "/" + scope + ", SignedHeaders=" + signed
                + ", Signature=" + HexFormat.of().formatHex(hmac(key, toSign)));
        return headers;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
