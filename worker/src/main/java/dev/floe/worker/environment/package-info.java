/**
 * Execution environments and their lifecycle. An {@link dev.floe.worker.environment.Environment} is one
 * runtime process tree for one function revision, driven by the explicit state machine
 * {@link dev.floe.worker.environment.EnvironmentState}; each environment is confined to one event loop, so
 * its state needs no locks. The {@link dev.floe.worker.environment.EnvironmentPool} owns a worker's
 * environments: it finds a warm one or starts a cold one, keeps the sum of memory sizes within the
 * worker's budget, and retires idle ones as its {@link dev.floe.worker.environment.KeepAlivePolicy} says.
 */
package dev.floe.worker.environment;
