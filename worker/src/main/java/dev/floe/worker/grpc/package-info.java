/**
 * The worker's gRPC service: maps invocation requests from the controller to the environment pool, and
 * its errors to gRPC statuses; a streamed response goes through a {@code StreamRelay}, which moves it at
 * the controller's pace.
 */
package dev.floe.worker.grpc;
