package dev.floe.controller.lambdaapi;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.floe.controller.function.CodeStore;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;

/**
 * The body of a code upload (CreateFunction, UpdateFunctionCode), read as a stream: the base64 zip is
 * decoded into the code store as it is read ({@link CodeStore#receive}), hashed on the way, and never
 * held as text, so a 67 MB body costs the parser's buffers, not 67 MB and its copies; every other field
 * (at most {@link #FIELDS_MAX_BYTES} of them) is read into a {@link RequestBody} for the usual checks.
 * Strict JSON as {@link RequestBody#parseJson} reads it: UTF-8, one object, no field twice, nothing after it.
 */
final class UploadBody implements AutoCloseable {
    /** What an upload may carry besides its code: a few names and settings. */
    static final int FIELDS_MAX_BYTES = 1024 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(FIELDS_MAX_BYTES).maxNestingDepth(64).build())
            .build();

    private final RequestBody fields;
    private final CodeStore.Staged zip;

    private UploadBody(RequestBody fields, CodeStore.Staged zip) {
        this.fields = fields;
        this.zip = zip;
    }

    /** The fields other than the zip, which stands in them as {@code true}. */
    RequestBody fields() {
        return fields;
    }

    /** The zip received into the store (not checked yet), or null when the body has none. */
    CodeStore.Staged zip() {
        return zip;
    }

    @Override
    public void close() {
        if (zip != null) {
            zip.close();
        }
    }

    /**
     * Reads {@code operation}'s body from {@code in}; {@code zipPath} names the base64 field, e.g.
     * {@code {"Code", "ZipFile"}}.
     */
    static UploadBody read(String operation, InputStream in, CodeStore code, String... zipPath) {
        String what = operation + " request body";
        CodeStore.Staged[] zip = {null};
        try (JsonParser parser = JSON.createParser(in)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return new UploadBody(RequestBody.of(operation, new JsonObject()), null);
            }
            if (first != JsonToken.START_OBJECT) {
                throw ApiError.invalid(what + ": a JSON " + kind(first) + " (expected: a JSON object)").toException();
            }
            Reader reader = new Reader(parser, code, zipPath, zip, operation);
            JsonObject object = reader.object(0);
            if (parser.nextToken() != null) {
                throw ApiError.invalid(what + ": not valid JSON (text after the JSON value)").toException();
            }
            return new UploadBody(RequestBody.of(operation, object), zip[0]);
        } catch (StreamConstraintsException e) {
            closeQuietly(zip[0]);
            throw ApiError.invalid(what + ": a value too large or too deep (" + e.getOriginalMessage() + "; expected: fields other"
                    + " than the code of at most " + FIELDS_MAX_BYTES + " bytes)").toException();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            closeQuietly(zip[0]);
            throw ApiError.invalid(what + ": not valid JSON (" + e.getOriginalMessage() + ")").toException();
        } catch (IOException e) {
            closeQuietly(zip[0]);
            throw new java.io.UncheckedIOException("reading " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(zip[0]);
            throw e;
        }
    }

    /** Copies the parser's tokens into Gson's tree, streaming the zip into the store on the way. */
    private static final class Reader {
        private final JsonParser parser;
        private final CodeStore code;
        private final String[] zipPath;
        private final CodeStore.Staged[] zip;
        private final String operation;
        private long zipBytes;

        Reader(JsonParser parser, CodeStore code, String[] zipPath, CodeStore.Staged[] zip, String operation) {
            this.parser = parser;
            this.code = code;
            this.zipPath = zipPath;
            this.zip = zip;
            this.operation = operation;
        }

        /** The object whose START_OBJECT was just read; {@code depth}: how many of {@code zipPath}'s names lead here. */
        JsonObject object(int depth) throws IOException {
            JsonObject object = new JsonObject();
            for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                boolean onPath = depth < zipPath.length && zipPath[depth].equals(name);
                if (onPath && depth == zipPath.length - 1 && value == JsonToken.VALUE_STRING) {
                    receiveZip(name);
                    object.add(name, new JsonPrimitive(true));
                } else {
                    object.add(name, value(value, onPath ? depth + 1 : Integer.MAX_VALUE));
                }
                checkFieldsSize();
            }
            return object;
        }

        private JsonElement value(JsonToken token, int depth) throws IOException {
            return switch (token) {
                case START_OBJECT -> object(depth);
                case START_ARRAY -> {
                    JsonArray array = new JsonArray();
                    for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                        array.add(value(t, Integer.MAX_VALUE));
                        checkFieldsSize();
                    }
                    yield array;
                }
                case VALUE_STRING -> new JsonPrimitive(parser.getText());
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonPrimitive(new BigDecimal(parser.getText()));
                case VALUE_TRUE -> new JsonPrimitive(true);
                case VALUE_FALSE -> new JsonPrimitive(false);
                case VALUE_NULL -> JsonNull.INSTANCE;
                default -> throw ApiError.invalid(operation + " request body: not valid JSON (unexpected " + token + ")").toException();
            };
        }

        private void receiveZip(String name) {
            long before = parser.currentLocation().getByteOffset();
            zip[0] = code.receive(out -> {
                try {
                    parser.readBinaryValue(Base64Variants.MIME_NO_LINEFEEDS, out);
                } catch (com.fasterxml.jackson.core.JsonParseException | IllegalArgumentException e) {
                    String message = e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.getMessage();
                    throw new CodeStore.ZipSourceException(ApiError.invalid(operation + ": " + String.join(".", zipPath)
                            + " is not base64 (" + message + ")").toException());
                }
            });
            zipBytes += parser.currentLocation().getByteOffset() - before;
        }

        /** Refuses a body whose fields besides the code pass {@link #FIELDS_MAX_BYTES}. */
        private void checkFieldsSize() {
            long fieldsBytes = parser.currentLocation().getByteOffset() - zipBytes;
            if (fieldsBytes > FIELDS_MAX_BYTES) {
                throw ApiError.invalid(operation + " request body: more than " + FIELDS_MAX_BYTES + " bytes besides "
                        + String.join(".", zipPath) + " (expected: a few fields)").toException();
            }
        }
    }

    private static String kind(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "array";
            case VALUE_NULL -> "null";
            case VALUE_STRING -> "string";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            default -> "number";
        };
    }

    private static void closeQuietly(CodeStore.Staged staged) {
        if (staged != null) {
            staged.close();
        }
    }
}
