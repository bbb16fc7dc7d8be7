/**
 * The Java client library for Floe: {@link dev.floe.client.FloeClient} wraps the public gRPC services
 * (functions, invocations, the fleet view) and turns every refusal into a
 * {@link dev.floe.common.FloeException} with a type the caller can act on.
 */
package dev.floe.client;
