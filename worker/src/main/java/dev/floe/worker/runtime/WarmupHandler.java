package dev.floe.worker.runtime;

import java.util.Map;

/**
 * The handler of the training run that makes the java runtimes' class-data archive: a plain method
 * taking and returning JSON objects, so the run loads the runtime interface client's whole invoke path,
 * its JSON serialization included. Floe's own code: no function's code ever runs outside an environment.
 */
public final class WarmupHandler {
    public Map<String, Object> handle(Map<String, Object> event) {
        return Map.of("warm", event.size());
    }
}
