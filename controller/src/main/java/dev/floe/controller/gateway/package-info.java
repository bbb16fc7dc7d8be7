/**
 * The controller's one way to its workers. {@link dev.floe.controller.gateway.WorkerGateway} makes every
 * call the controller sends a worker (an invocation, a streamed invocation, a provisioned share, a
 * retirement) and answers in domain outcomes ({@link dev.floe.controller.gateway.WorkerCallException.Outcome}:
 * gone, full, unreachable, may have run, failed), so the code that decides what to do next never reads a
 * gRPC status. {@link dev.floe.controller.gateway.GrpcWorkerGateway} owns a channel per worker, opened
 * when the worker joins the fleet view and shut down when it leaves, and fails at once the calls in
 * flight to a worker that fell silent.
 */
package dev.floe.controller.gateway;
