/**
 * Synchronous invocations, Lambda's RequestResponse type: {@link dev.floe.controller.invoke.Invoker}
 * checks the request, asks placement for a worker, calls that worker through the
 * {@link dev.floe.controller.gateway.WorkerGateway} without holding a thread while it waits, and places
 * the invocation again elsewhere when nothing ran there (no room, a warm environment gone, unreachable).
 * A function's own error is an answer, not a failure. A streamed response's pieces go to a
 * {@link dev.floe.controller.invoke.ChunkSink} one at a time as it takes them.
 */
package dev.floe.controller.invoke;
