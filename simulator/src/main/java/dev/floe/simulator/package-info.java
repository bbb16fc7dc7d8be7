/**
 * {@code floe simulate}: replays the Azure Functions trace samples against the placement policies of
 * {@code dev.floe.controller.placement} and the keep-alive policies of {@code dev.floe.worker.environment}
 * (the same classes the controller and workers run) on simulated workers, in simulated time, and
 * reports cold starts and idle memory for each combination.
 */
package dev.floe.simulator;
