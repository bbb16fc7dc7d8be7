package dev.floe.controller.lambdaapi;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's JSON object, read strictly, with typed getters whose refusals name the field, what it
 * was, and what was expected. A field Floe does not know, or knows but cannot honour, is refused rather
 * than silently dropped; fields that do not change how a function runs on Floe are accepted.
 */
final class RequestBody {
    private final String operation;
    private final JsonObject object;

    private RequestBody(String operation, JsonObject object) {
        this.operation = operation;
        this.object = object;
    }

    /** A body already read, e.g. by {@link UploadBody}. */
    static RequestBody of(String operation, JsonObject object) {
        return new RequestBody(operation, object);
    }

    /** Parses {@code body}; refuses anything but one JSON object (an empty body is an empty object). */
    static RequestBody parse(String operation, byte[] body) {
        if (body.length == 0) {
            return new RequestBody(operation, new JsonObject());
        }
        JsonElement parsed = parseJson(body, operation + " request body");
        if (!parsed.isJsonObject()) {
            throw ApiError.invalid(operation + " request body: a JSON " + kind(parsed) + " (expected: a JSON object)").toException();
        }
        return new RequestBody(operation, parsed.getAsJsonObject());
    }

    /** Parses strictly: UTF-8, one JSON value and nothing after it. */
    static JsonElement parseJson(byte[] body, String what) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.invalid(what + ": not UTF-8 text (expected: JSON)").toException();
        }
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement value = com.google.gson.JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
            return value;
        } catch (JsonParseException | java.io.IOException | IllegalStateException e) {
            String detail = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw ApiError.invalid(what + ": not valid JSON (" + detail + ")").toException();
        }
    }

    /**
     * Refuses fields outside {@code known} and, among the known, the ones in {@code unsupported} when
     * they are set to anything but null or empty.
     */
    RequestBody allowOnly(Set<String> known, Set<String> unsupported) {
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            String field = e.getKey();
            if (unsupported.contains(field)) {
                if (!isEmpty(e.getValue())) {
                    throw ApiError.invalid(operation + ": " + field + " is not supported by Floe (expected: no " + field + ")").toException();
                }
            } else if (!known.contains(field)) {
                Set<String> expected = new TreeSet<>(known);
                expected.removeAll(unsupported);
                throw ApiError.invalid(operation + ": unknown field " + field + " (expected any of: "
                        + String.join(", ", expected) + ")").toException();
            }
        }
        return this;
    }

    boolean has(String field) {
        JsonElement value = object.get(field);
        return value != null && !value.isJsonNull();
    }

    Optional<String> string(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonElement value = object.get(field);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw wrongType(field, value, "a string");
        }
        return Optional.of(value.getAsString());
    }

    String requiredString(String field) {
        return string(field).orElseThrow(() -> ApiError.invalid(operation + ": " + field + " is missing (expected: a string)").toException());
    }

    OptionalInt integer(String field) {
        if (!has(field)) {
            return OptionalInt.empty();
        }
        JsonElement value = object.get(field);
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber()) {
            try {
                return OptionalInt.of(new java.math.BigDecimal(value.getAsString()).intValueExact());
            } catch (ArithmeticException | NumberFormatException e) {
                // falls through to the refusal
            }
        }
        throw wrongType(field, value, "an integer");
    }

    Optional<Boolean> bool(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonElement value = object.get(field);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw wrongType(field, value, "true or false");
        }
        return Optional.of(value.getAsBoolean());
    }

    /** A nested object, as a body of its own for its fields' messages. */
    Optional<RequestBody> object(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonElement value = object.get(field);
        if (!value.isJsonObject()) {
            throw wrongType(field, value, "an object");
        }
        return Optional.of(new RequestBody(operation + ": " + field, value.getAsJsonObject()));
    }

    /** A JSON object of strings, e.g. {@code Environment.Variables}. */
    Optional<Map<String, String>> stringMap(String field) {
        Optional<RequestBody> nested = object(field);
        if (nested.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : nested.get().object.keySet()) {
            values.put(key, nested.get().string(key).orElse(""));
        }
        return Optional.of(values);
    }

    /** A JSON object of numbers, e.g. {@code RoutingConfig.AdditionalVersionWeights}. */
    Optional<Map<String, Double>> numberMap(String field) {
        Optional<RequestBody> nested = object(field);
        if (nested.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (String key : nested.get().object.keySet()) {
            JsonElement value = nested.get().object.get(key);
            if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
                throw nested.get().wrongType(key, value, "a number");
            }
            values.put(key, value.getAsDouble());
        }
        return Optional.of(values);
    }

    /** A base64 blob, e.g. {@code Code.ZipFile}. */
    Optional<byte[]> base64(String field) {
        return string(field).map(text -> {
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(operation + ": " + field + " is not base64 (" + e.getMessage() + ")").toException();
            }
        });
    }

    private ApiError.ApiException wrongType(String field, JsonElement value, String expected) {
        String shown = value.toString();
        if (shown.length() > 40) {
            shown = shown.substring(0, 40) + "...";
        }
        return ApiError.invalid(operation + ": " + field + ": " + shown + " (expected: " + expected + ")").toException();
    }

    private static boolean isEmpty(JsonElement value) {
        return value.isJsonNull()
                || (value.isJsonArray() && value.getAsJsonArray().isEmpty())
                || (value.isJsonObject() && value.getAsJsonObject().isEmpty())
                || (value instanceof JsonPrimitive p && p.isString() && p.getAsString().isEmpty());
    }

    private static String kind(JsonElement value) {
        if (value.isJsonArray()) {
            return "array";
        }
        if (value.isJsonNull()) {
            return "null";
        }
        return value.getAsJsonPrimitive().isString() ? "string" : value.getAsJsonPrimitive().isNumber() ? "number" : "boolean";
    }
}
