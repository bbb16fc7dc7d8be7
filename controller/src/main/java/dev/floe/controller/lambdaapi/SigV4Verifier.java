package dev.floe.controller.lambdaapi;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a request's AWS Signature Version 4 ({@code Authorization: AWS4-HMAC-SHA256 ...}) against the
 * configured keys, following AWS's documented algorithm ("Create a signed AWS API request"): the
 * canonical request (method, the path URI-encoded once more as every service but S3 signs it, the
 * sorted encoded query, the signed headers with trimmed values, the payload's SHA-256), the string to
 * sign (algorithm, time, scope, hash of the canonical request), and the HMAC-SHA256 chain from
 * {@code "AWS4" + secret} through date, region, service and {@code aws4_request}. A pure function of the
 * request, the keys and the clock: the answer is an error, or none.
 */
final class SigV4Verifier {
    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    /** AWS refuses a request signed further than this from its own time. */
    static final Duration MAX_SKEW = Duration.ofMinutes(15);
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

    private final LambdaCredentials credentials;
    private final InstantSource clock;

    SigV4Verifier(LambdaCredentials credentials, InstantSource clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    boolean required() {
        return credentials.required();
    }

    /**
     * Before the body is read: empty when it may be read, a refusal when the request is unsigned, names a
     * key not configured, or is stale. A signature whose payload hash is in the headers
     * ({@code X-Amz-Content-SHA256}) is checked whole here; one that covers the body waits for it.
     */
    Optional<ApiError> checkHead(LambdaRequest head) {
        return verify(head, null);
    }

    /** Empty when the request may proceed: no keys are required, or its signature is valid. */
    Optional<ApiError> check(LambdaRequest request) {
        return verify(request, request.payloadSha256() != null ? request.payloadSha256() : sha256Hex(request.body()));
    }

    /** {@code bodyHash}: the body's SHA-256 in hex; null before the body is read. */
    private Optional<ApiError> verify(LambdaRequest request, String bodyHash) {
        if (!credentials.required()) {
            return Optional.empty();
        }
        String authorization = request.header("authorization");
        if (authorization == null) {
            return unrecognized("the request is not signed (expected: an AWS Signature Version 4 made with one of the "
                    + "access keys this Floe controller is configured with)");
        }
        if (!authorization.startsWith(ALGORITHM + " ")) {
            return invalid("Authorization: algorithm " + authorization.split(" ", 2)[0] + " (expected: " + ALGORITHM + ")");
        }
        Map<String, String> fields = new java.util.HashMap<>();
        for (String part : authorization.substring(ALGORITHM.length() + 1).split(",")) {
            String[] kv = part.strip().split("=", 2);
            if (kv.length == 2) {
                fields.put(kv[0], kv[1]);
            }
        }
        String credential = fields.get("Credential");
        String signedHeaders = fields.get("SignedHeaders");
        String signature = fields.get("Signature");
        if (credential == null || signedHeaders == null || signature == null) {
            return invalid("Authorization: expected Credential=..., SignedHeaders=... and Signature=...");
        }
        String[] scope = credential.split("/");
        if (scope.length != 5 || !scope[4].equals("aws4_request")) {
            return invalid("Credential: \"" + credential + "\" (expected: KEY/YYYYMMDD/REGION/lambda/aws4_request)");
        }
        Optional<String> secret = credentials.secret(scope[0]);
        if (secret.isEmpty()) {
            return unrecognized("access key " + scope[0] + " is not one this Floe controller accepts");
        }
        if (!scope[3].equals("lambda")) {
            return invalid("Credential: service \"" + scope[3] + "\" (expected: lambda)");
        }
        String amzDate = request.header("x-amz-date");
        if (amzDate == null) {
            return invalid("X-Amz-Date is missing (expected: the signing time, YYYYMMDDTHHMMSSZ)");
        }
        Instant signedAt;
        try {
            signedAt = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return invalid("X-Amz-Date: \"" + amzDate + "\" (expected: YYYYMMDDTHHMMSSZ)");
        }
        if (!amzDate.startsWith(scope[1])) {
            return invalid("Credential: date " + scope[1] + " is not the day of X-Amz-Date " + amzDate);
        }
        Instant now = clock.instant();
        if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
            return invalid("Signature expired: signed at " + amzDate + ", now " + AMZ_DATE.format(now.atOffset(ZoneOffset.UTC))
                    + " (expected: within " + MAX_SKEW.toMinutes() + " minutes)");
        }
        List<String> headerNames = Arrays.asList(signedHeaders.split(";"));
        if (!headerNames.contains("host")) {
            return invalid("SignedHeaders: " + signedHeaders + " (expected: host among them)");
        }
        String claimed = request.header("x-amz-content-sha256");
        if (bodyHash != null && claimed != null && !claimed.equals(UNSIGNED_PAYLOAD) && !claimed.equalsIgnoreCase(bodyHash)) {
            return invalid("X-Amz-Content-SHA256 does not match the body");
        }
        if (claimed == null && bodyHash == null) {
            return Optional.empty(); // the signature covers the body: checked once it is read
        }
        String canonical = canonicalRequest(request, headerNames, claimed != null ? claimed : bodyHash);
        if (canonical == null) {
            return invalid("SignedHeaders: " + signedHeaders + " names a header the request does not have");
        }
        String scopeText = String.join("/", scope[1], scope[2], scope[3], scope[4]);
        String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scopeText + "\n" + sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
        byte[] key = hmac(("AWS4" + secret.get()).getBytes(StandardCharsets.UTF_8), scope[1]);
        key = hmac(key, scope[2]);
        key = hmac(key, scope[3]);
        key = hmac(key, scope[4]);
        byte[] expected = hmac(key, stringToSign);
        byte[] given;
        try {
            given = HexFormat.of().parseHex(signature);
        } catch (IllegalArgumentException e) {
            return invalid("Signature: not hex");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            return invalid("The request signature we calculated does not match the signature you provided. "
                    + "Check your secret access key and signing method.");
        }
        return Optional.empty();
    }

    /** The canonical request, or null when a signed header is absent. */
    static String canonicalRequest(LambdaRequest request, List<String> signedHeaders, String payloadHash) {
        StringBuilder b = new StringBuilder();
        b.append(request.method()).append('\n');
        String path = request.rawPath().isEmpty() ? "/" : request.rawPath();
        b.append(UriEncoding.encode(path, true)).append('\n');
        // Sorted by encoded name, then by encoded value.
        List<String[]> query = new ArrayList<>();
        for (Map.Entry<String, String> p : request.queryParameters()) {
            query.add(new String[] {UriEncoding.encode(p.getKey(), false), UriEncoding.encode(p.getValue(), false)});
        }
        query.sort(java.util.Comparator.<String[], String>comparing(p -> p[0]).thenComparing(p -> p[1]));
        b.append(String.join("&", query.stream().map(p -> p[0] + "=" + p[1]).toList())).append('\n');
        for (String name : signedHeaders) {
            List<String> values = request.headers().get(name);
            if (values == null) {
                return null;
            }
            b.append(name).append(':').append(String.join(",", values.stream().map(v -> v.strip().replaceAll(" +", " ")).toList()))
                    .append('\n');
        }
        b.append('\n').append(String.join(";", signedHeaders)).append('\n').append(payloadHash);
        return b.toString();
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static Optional<ApiError> invalid(String message) {
        return Optional.of(ApiError.user(403, ApiError.INVALID_SIGNATURE, message));
    }

    private static Optional<ApiError> unrecognized(String message) {
        return Optional.of(ApiError.user(403, ApiError.UNRECOGNIZED_CLIENT,
                "The security token included in the request is invalid: " + message));
    }
}
