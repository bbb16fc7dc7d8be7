/**
 * Floe's benchmarks ({@code floe bench}, {@code bench-fleet}, {@code bench-async}, {@code bench-runtimes},
 * {@code bench-placement}, {@code bench-lambda}, {@code bench-stream}): programs that print Floe's figures
 * beside the floor, the same work done by the bare mechanism ({@link dev.floe.bench.Floors}), with none of
 * Floe's logic.
 */
package dev.floe.bench;
