package dev.floe.common.code;

import java.io.IOException;

/** A code package broke one of {@link PackageReader}'s rules; the message says which, and what was expected. */
public final class PackageException extends IOException {
    private static final long serialVersionUID = 1L;

    public PackageException(String message) {
        super(message);
    }

    PackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
