/**
 * Synchronous invocations, Lambda's RequestResponse type: {@link dev.floe.controller.invoke.Invoker}
 * checks the request, asks placement for a worker, calls that worker's {@code WorkerInvoker} without
 * holding a thread while it waits, and places the invocation again elsewhere when the worker has no
 * room or cannot be reached. A function's own error is an answer, not a failure. A streamed response's
 * pieces go to a {@link dev.floe.controller.invoke.ChunkSink} one at a time as it takes them, read a
 * couple of pieces ahead of it from the worker ({@link dev.floe.controller.invoke.ReadAhead}).
 */
package dev.floe.controller.invoke;
