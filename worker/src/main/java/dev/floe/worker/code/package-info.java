/**
 * Function code on a worker: fetched once per package from the controller by its SHA-256, checked,
 * unpacked safely (no path may leave the package's root, size bounded), and shared read-only by every
 * environment of every revision that uses the same package.
 */
package dev.floe.worker.code;
