package dev.floe.controller.invoke;

import dev.floe.proto.InvokeResponse;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a synchronous call to the controller that owns its function, in one hop, where that is another
 * controller: the owner alone places its functions' invocations, so two controllers never promise one
 * warm environment. A streamed response is placed where it arrived (not forwarded).
 */
@FunctionalInterface
public interface Forwarding {
    /** Every call runs here: a single controller. */
    Forwarding NONE = call -> null;

    /** The owner's answer, or null when this controller is to place the call itself. */
    CompletableFuture<InvokeResponse> forward(InvokeCall call);
}
