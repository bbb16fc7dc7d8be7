package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.signer.Aws4Signer;
import software.amazon.awssdk.auth.signer.params.Aws4SignerParams;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.regions.Region;

/** Floe's SigV4 check against requests the AWS SDK's own signer signed, on a fixed clock. */
class SigV4VerifierTest {
    private static final Instant SIGNED_AT = Instant.parse("2026-03-01T12:00:00Z");
    private static final LambdaCredentials KEYS = LambdaCredentials.of(Map.of("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));

    private static LambdaRequest signed(String secret, String method, String path, Map<String, String> query, String body) {
        SdkHttpFullRequest.Builder http = SdkHttpFullRequest.builder().method(SdkHttpMethod.fromValue(method))
                .protocol("http").host("127.0.0.1").port(9071).encodedPath(path);
        query.forEach(http::putRawQueryParameter);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!body.isEmpty()) {
            http.contentStreamProvider(() -> new ByteArrayInputStream(bytes)).putHeader("Content-Type", "application/json");
        }
        SdkHttpFullRequest signed = Aws4Signer.create().sign(http.build(), Aws4SignerParams.builder()
                .awsCredentials(AwsBasicCredentials.create("AKIDEXAMPLE", secret))
                .signingName("lambda").signingRegion(Region.US_EAST_1)
                .signingClockOverride(Clock.fixed(SIGNED_AT, ZoneOffset.UTC)).build());
        Map<String, List<String>> headers = new LinkedHashMap<>(signed.headers());
        StringBuilder target = new StringBuilder(signed.encodedPath());
        signed.encodedQueryParameters().ifPresent(q -> target.append('?').append(q));
        return LambdaRequest.of(method, target.toString(), headers, bytes);
    }

    private static Optional<ApiError> check(LambdaRequest request, Duration after) {
        return new SigV4Verifier(KEYS, InstantSource.fixed(SIGNED_AT.plus(after))).check(request);
    }

    @Test
    void acceptsWhatTheSdkSignedWithAConfiguredKey() {
        String secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assertEquals(Optional.empty(), check(signed(secret, "GET", "/2015-03-31/functions/", Map.of("MaxItems", "5", "Marker", "a b"), ""),
                Duration.ofSeconds(3)));
        assertEquals(Optional.empty(), check(signed(secret, "POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A0%3Afunction%3Af/invocations",
                Map.of("Qualifier", "$LATEST"), "{\"key\": \"välue\"}"), Duration.ofMinutes(-14)));
    }

    @Test
    void refusesAWrongSecretATamperedBodyOrPathAndAnOldSignature() {
        String secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assertRefused("InvalidSignatureException", "does not match", check(signed("other", "GET", "/2015-03-31/functions/", Map.of(), ""), Duration.ZERO));

        LambdaRequest good = signed(secret, "PUT", "/2015-03-31/functions/f/configuration", Map.of(), "{\"MemorySize\":256}");
        LambdaRequest tamperedBody = new LambdaRequest(good.method(), good.rawPath(), good.rawQuery(), good.headers(),
                "{\"MemorySize\":10240}".getBytes(StandardCharsets.UTF_8));
        assertRefused("InvalidSignatureException", "does not match", check(tamperedBody, Duration.ZERO));
        LambdaRequest tamperedPath = new LambdaRequest(good.method(), "/2015-03-31/functions/g/configuration", good.rawQuery(),
                good.headers(), good.body());
        assertRefused("InvalidSignatureException", "does not match", check(tamperedPath, Duration.ZERO));

        assertRefused("InvalidSignatureException", "Signature expired", check(good, Duration.ofMinutes(16)));
        assertRefused("InvalidSignatureException", "Signature expired", check(good, Duration.ofMinutes(-16)));
    }

    @Test
    void refusesAnUnknownKeyAndAnUnsignedRequest() {
        LambdaRequest unsigned = LambdaRequest.of("GET", "/2015-03-31/functions/", Map.of("Host", List.of("127.0.0.1")), new byte[0]);
        assertRefused("UnrecognizedClientException", "not signed", check(unsigned, Duration.ZERO));

        LambdaRequest stranger = signed("secret", "GET", "/2015-03-31/functions/", Map.of(), "");
        Map<String, List<String>> headers = new LinkedHashMap<>(stranger.headers());
        headers.put("authorization", List.of(stranger.header("authorization").replace("AKIDEXAMPLE", "AKIDSTRANGER")));
        assertRefused("UnrecognizedClientException", "AKIDSTRANGER", check(
                new LambdaRequest("GET", stranger.rawPath(), stranger.rawQuery(), headers, stranger.body()), Duration.ZERO));
    }

    @Test
    void withoutConfiguredKeysEveryRequestIsAccepted() {
        LambdaRequest unsigned = LambdaRequest.of("GET", "/2015-03-31/functions/", Map.of(), new byte[0]);
        assertEquals(Optional.empty(), new SigV4Verifier(LambdaCredentials.anyone(), InstantSource.system()).check(unsigned));
        LambdaRequest wronglySigned = signed("anything", "GET", "/2015-03-31/functions/", Map.of(), "");
        assertEquals(Optional.empty(), new SigV4Verifier(LambdaCredentials.anyone(), InstantSource.system()).check(wronglySigned));
    }

    private static void assertRefused(String type, String messagePart, Optional<ApiError> error) {
        assertTrue(error.isPresent(), "expected a refusal");
        assertEquals(403, error.get().status());
        assertEquals(type, error.get().type());
        assertTrue(error.get().message().contains(messagePart), error.get().message());
    }
}
