package dev.floe.worker.runtimeapi;

/**
 * The Runtime API's answer to a POST, with the status codes of its specification: 202 accepted,
 * 400 bad request (e.g. an unknown request id), 403 forbidden (not allowed in the environment's
 * current phase), 413 payload too large, 500 container error (the runtime should exit).
 */
public record Reply(int status, String errorType, String errorMessage) {
    public static final Reply ACCEPTED = new Reply(202, "", "");

    public static Reply badRequest(String errorType, String message) {
        return new Reply(400, errorType, message);
    }

    public static Reply forbidden(String errorType, String message) {
        return new Reply(403, errorType, message);
    }

    public static Reply containerError(String message) {
        return new Reply(500, "Runtime.ContainerError", message);
    }
}
