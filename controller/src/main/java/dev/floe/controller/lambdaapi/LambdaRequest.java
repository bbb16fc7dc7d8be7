package dev.floe.controller.lambdaapi;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP request to the Lambda API, as received: method, path and query still percent-encoded
 * (SigV4 signs them as sent), headers by lower-case name, and the body: in memory, or, for a code
 * upload, in a file it was written to as it arrived ({@code spooled}, with an empty {@code body}).
 *
 * @param payloadSha256 the body's SHA-256 in hex, taken as it arrived; null when not taken (then it is
 *     computed from {@code body} if a signature needs it)
 */
record LambdaRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body,
        Path spooled, String payloadSha256) {
    LambdaRequest {
        rawQuery = rawQuery == null ? "" : rawQuery;
        Map<String, List<String>> lower = new TreeMap<>();
        headers.forEach((name, values) -> lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values));
        headers = Map.copyOf(lower);
        body = body == null ? new byte[0] : body;
    }

    LambdaRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {
        this(method, rawPath, rawQuery, headers, body, null, null);
    }

    /** The same request with its body as received. */
    LambdaRequest withBody(byte[] bytes, Path file, String sha256) {
        return new LambdaRequest(method, rawPath, rawQuery, headers, bytes, file, sha256);
    }

    /** The body's bytes, from memory or from the file it was spooled to. */
    java.io.InputStream openBody() throws java.io.IOException {
        return spooled != null ? new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(spooled), 64 * 1024)
                : new java.io.ByteArrayInputStream(body);
    }

    /** The body's size in bytes. */
    long bodySize() {
        try {
            return spooled != null ? java.nio.file.Files.size(spooled) : body.length;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Splits a request target ({@code /path?query}). */
    static LambdaRequest of(String method, String target, Map<String, List<String>> headers, byte[] body) {
        int q = target.indexOf('?');
        return new LambdaRequest(method, q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), headers, body);
    }

    /** The first value of a header, or null. */
    String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** The decoded query parameters, in the order sent. */
    List<Map.Entry<String, String>> queryParameters() {
        List<Map.Entry<String, String>> params = new ArrayList<>();
        if (rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            params.add(Map.entry(UriEncoding.decode(key), UriEncoding.decode(value)));
        }
        return params;
    }

    /** The first value of a query parameter, or null. */
    String query(String name) {
        return queryParameters().stream().filter(e -> e.getKey().equals(name)).map(Map.Entry::getValue).findFirst().orElse(null);
    }
}
