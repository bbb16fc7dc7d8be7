/**
 * {@code floe load}, Floe's load generator: callers in a closed loop (each sends its next invocation
 * when the last answered) or arrivals in an open loop (a fixed rate, latency counted from each
 * invocation's intended send time so that queueing shows instead of slowing the generator down), over
 * the controller's gRPC API or Lambda's HTTP API, across functions picked with a Zipf skew, recorded in
 * HdrHistogram. The throughput benchmark drives a fleet through the same classes.
 */
package dev.floe.bench.load;
