package dev.floe.controller.lambdaapi;

import dev.floe.controller.function.ConcurrencyChange;
import dev.floe.proto.Function;

/**
 * What the Lambda API's concurrency operations need from the fleet: changing a function's reserved
 * concurrency as Floe's own API does (checked and applied by admission, provisioning told), and the
 * fleet's limits for GetAccountSettings.
 */
public interface FleetConcurrency {
    /** Applies {@code change} to the function's concurrency settings; returns its latest revision with them. */
    Function change(String function, ConcurrencyChange change);

    /** Invocations the fleet runs at once, all functions together. */
    int limit();

    /** The part of {@link #limit()} no function has reserved. */
    int unreserved();
}
