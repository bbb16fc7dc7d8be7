package dev.floe.worker.sandbox;

import java.io.IOException;

/** The machine has no room for what an environment needs (disk for its /tmp): another worker may have some. */
public final class NoRoomException extends IOException {
    private static final long serialVersionUID = 1L;

    public NoRoomException(String message) {
        super(message);
    }
}
