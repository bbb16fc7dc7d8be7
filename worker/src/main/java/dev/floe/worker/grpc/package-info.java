/** The worker's gRPC service: maps invocation requests from the controller to the environment pool, and its errors to gRPC statuses. */
package dev.floe.worker.grpc;
