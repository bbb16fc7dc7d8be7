/**
 * The Floe controller: {@link dev.floe.controller.Controller} keeps the functions, builds the fleet
 * view from the workers' streams, and places every invocation on a worker. Its parts live in
 * packages by concept: {@code function} (revisions and code), {@code registry} (the fleet view),
 * {@code placement} (the pure choice of a worker), {@code invoke} (running an invocation on the
 * fleet) and {@code grpc} (the services that map protos to those parts).
 */
package dev.floe.controller;
