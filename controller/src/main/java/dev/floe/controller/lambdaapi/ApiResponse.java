package dev.floe.controller.lambdaapi;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One answer of the Lambda API, before it becomes HTTP: a status, Lambda's response headers, and a
 * body (JSON for every operation but Invoke, whose body is the function's own answer).
 */
public record ApiResponse(int status, Map<String, String> headers, byte[] body) {
    private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().create();

    public ApiResponse {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    static ApiResponse json(int status, JsonElement body) {
        return new ApiResponse(status, Map.of("Content-Type", "application/json"),
                JSON.toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    static ApiResponse empty(int status) {
        return new ApiResponse(status, Map.of(), new byte[0]);
    }

    /** This response with one more header. */
    ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, more, body);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
