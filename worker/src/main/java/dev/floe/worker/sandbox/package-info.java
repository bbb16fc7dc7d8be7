/**
 * How an execution environment is held on its machine: a {@link dev.floe.worker.sandbox.Cell} (its cgroups
 * and process group), a {@link dev.floe.worker.sandbox.FreezeDriver} that stops and resumes every process
 * in it (cgroup v2, cgroup v1, or signals), a private size-limited /tmp
 * ({@link dev.floe.worker.sandbox.TmpVolume}), and the launcher that puts the runtime process inside all of
 * these before it runs a line of the function's code. {@link dev.floe.worker.sandbox.Sandbox} finds what the
 * machine offers and says which mechanisms it chose.
 */
package dev.floe.worker.sandbox;
