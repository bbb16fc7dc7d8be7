/**
 * How Floe is run: the {@code floe} launcher's entry point ({@link dev.floe.deploy.Floe}), the server
 * commands ({@code up}, {@code controller}, {@code worker}), a local fleet in one process
 * ({@link dev.floe.deploy.LocalFleet}) and the demo that shows cold and warm starts on it.
 */
package dev.floe.deploy;
