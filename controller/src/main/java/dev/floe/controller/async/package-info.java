/**
 * Asynchronous invocations, Lambda's Event type: {@link dev.floe.controller.async.AsyncQueue} commits
 * each accepted event to the controller's SQLite database before it answers, a dispatcher runs queued
 * events through the synchronous {@code Invoker} at least once, and a pure
 * {@link dev.floe.controller.async.RetryPolicy} decides what follows a failed attempt: another attempt
 * after a backoff, or the function's dead-letter list. Nothing accepted is dropped silently.
 */
package dev.floe.controller.async;
