package dev.floe.controller.lambdaapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP request to the Lambda API, as received: method, path and query still percent-encoded
 * (SigV4 signs them as sent), headers by lower-case name, and the whole body.
 */
record LambdaRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {
    LambdaRequest {
        rawQuery = rawQuery == null ? "" : rawQuery;
        Map<String, List<String>> lower = new TreeMap<>();
        headers.forEach((name, values) -> lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values));
        headers = Map.copyOf(lower);
        body = body == null ? new byte[0] : body;
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
