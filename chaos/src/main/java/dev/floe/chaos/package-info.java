/**
 * The chaos harness ({@code floe chaos}, and {@code ChaosIT} in CI): a real fleet whose controller
 * and workers are separate processes, the workers each in a network namespace of their own joined
 * by veth pairs to a bridge, under steady load while the harness kills workers and the controller
 * with SIGKILL and cuts and restores workers' links; it then counts, from the function's own
 * records, what was accepted, completed, failed cleanly, ran more than once, and hung.
 */
package dev.floe.chaos;
