/**
 * How Floe is run: the {@code floe} launcher's entry point ({@link dev.floe.launcher.Floe}), the server
 * commands ({@code up}, {@code controller}, {@code worker}), a local fleet in one process
 * ({@link dev.floe.launcher.LocalFleet}) and the demo that shows cold and warm starts on it.
 */
package dev.floe.launcher;
