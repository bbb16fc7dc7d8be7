/**
 * Lambda's managed runtimes on a worker: {@code python3}, {@code nodejs}, {@code java25} and {@code java21}
 * beside {@code provided}. Each runtime's files (Floe's small runtime clients, the Java runtime interface
 * client's jars) ship in the worker's jar, are installed once per worker and reach every environment
 * read-only at {@code /var/runtime}; {@link dev.floe.worker.runtime.Runtimes} says how an environment of a
 * function starts its runtime.
 */
package dev.floe.worker.runtime;
