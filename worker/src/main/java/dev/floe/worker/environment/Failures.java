package dev.floe.worker.environment;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The error documents Lambda returns when an invocation fails, and the error types it uses:
 * {@code Sandbox.Timedout}, {@code Runtime.ExitError}, {@code Runtime.OutOfMemory},
 * {@code Function.ResponseSizeTooLarge}, {@code Runtime.InvalidEntrypoint}.
 */
final class Failures {
    static final String UNHANDLED = "Unhandled";
    static final String TIMED_OUT = "Sandbox.Timedout";
    static final String EXIT_ERROR = "Runtime.ExitError";
    static final String OUT_OF_MEMORY = "Runtime.OutOfMemory";
    static final String RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge";
    static final String INVALID_ENTRYPOINT = "Runtime.InvalidEntrypoint";

    private Failures() {}

    static byte[] document(String errorType, String errorMessage) {
        JsonObject doc = new JsonObject();
        doc.addProperty("errorType", errorType);
        doc.addProperty("errorMessage", errorMessage);
        return doc.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String timedOut(String requestId, double seconds) {
        return "RequestId: " + requestId + " Error: Task timed out after " + String.format(Locale.ROOT, "%.2f", seconds) + " seconds";
    }

    static String exited(String requestId, String exit) {
        return "RequestId: " + requestId + " Error: Runtime exited with error: " + exit;
    }

    /** How Lambda words a runtime's exit: {@code exit status 1}, {@code signal: killed}. */
    static String describeExit(int exitValue) {
        if (exitValue > 128 && exitValue < 128 + 65) {
            int signal = exitValue - 128;
            String name = switch (signal) {
                case 1 -> "hangup";
                case 2 -> "interrupt";
                case 3 -> "quit";
                case 4 -> "illegal instruction";
                case 6 -> "aborted";
                case 7 -> "bus error";
                case 8 -> "floating point exception";
                case 9 -> "killed";
                case 11 -> "segmentation fault";
                case 13 -> "broken pipe";
                case 15 -> "terminated";
                default -> "signal " + signal;
            };
            return "signal: " + name;
        }
        return "exit status " + exitValue;
    }

    /**
     * The error type of a document a runtime posted: its {@code errorType} field, else the
     * Lambda-Runtime-Function-Error-Type header, else {@code Unhandled}.
     */
    static String errorTypeOf(byte[] body, String header) {
        try {
            var element = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
            if (element.isJsonObject() && element.getAsJsonObject().has("errorType")
                    && element.getAsJsonObject().get("errorType").isJsonPrimitive()) {
                String type = element.getAsJsonObject().get("errorType").getAsString();
                if (!type.isBlank()) {
                    return type;
                }
            }
        } catch (RuntimeException notJson) {
            // fall through to the header
        }
        return header == null || header.isBlank() ? UNHANDLED : header;
    }

    /** The body to return for a posted error: as posted, or built from the header when empty. */
    static byte[] errorBody(byte[] body, String errorType) {
        return body.length > 0 ? body : document(errorType, "");
    }
}
