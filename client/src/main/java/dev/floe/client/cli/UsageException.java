package dev.floe.client.cli;

/** The command line is wrong; the message says what was expected. Exits with status 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
