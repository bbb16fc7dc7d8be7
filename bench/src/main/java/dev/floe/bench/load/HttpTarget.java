package dev.floe.bench.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Invocations through Lambda's HTTP API ({@code POST /2015-03-31/functions/NAME/invocations}), on
 * kept-alive HTTP/1.1 connections (one per invocation in flight, as an SDK's pool opens them), signed
 * with SigV4 when a key is given. Lambda's API does not say whether an invocation was a cold start.
 */
public final class HttpTarget implements LoadTarget {
    private final URI endpoint;
    private final SigV4Signer signer;
    private final HttpClient http;
    private final String host;
    private final Map<byte[], String> sha256 = new ConcurrentHashMap<>();

    /** {@code keyId} and {@code secret}: a key the controller accepts, or null for an API open to all. */
    public HttpTarget(URI endpoint, String keyId, String secret) {
        this.endpoint = endpoint;
        this.signer = keyId == null ? null : new SigV4Signer(keyId, secret, "us-east-1");
        this.host = endpoint.getHost() + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public CompletableFuture<Outcome> invoke(String function, byte[] payload) {
        String path = "/2015-03-31/functions/" + function + "/invocations";
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (signer != null) {
            signer.headers(host, path, sha256.computeIfAbsent(payload, SigV4Signer::sha256Hex), Instant.now()).forEach(request::header);
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                return Outcome.refused("ConnectionError", String.valueOf(cause));
            }
            if (response.statusCode() == 200) {
                return new Outcome(null, response.headers().firstValue("X-Amz-Function-Error").orElse(null), null);
            }
            return Outcome.refused(errorType(response), new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        });
    }

    /** The refusal's type as Lambda's API names it ({@code X-Amzn-ErrorType}, which the SDKs read), else the status. */
    private static String errorType(HttpResponse<byte[]> response) {
        return response.headers().firstValue("X-Amzn-ErrorType").map(type -> type.split(":", 2)[0])
                .orElse("HTTP " + response.statusCode());
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public void close() {
        http.close();
    }
}
