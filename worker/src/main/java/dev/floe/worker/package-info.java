/**
 * A Floe worker: {@link dev.floe.worker.Worker} assembles the sandbox, the code cache, the environment
 * pool, the Runtime API server, the gRPC service the controller calls, and the link that reports every
 * environment to the controller.
 */
package dev.floe.worker;
