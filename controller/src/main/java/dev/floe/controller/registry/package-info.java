/**
 * The fleet as the controller sees it, built only from what workers report over their
 * {@code WorkerLink.Connect} streams: who is connected, at which address, with how much memory, and
 * every environment each holds. {@link dev.floe.controller.registry.FleetView} keeps it in a
 * {@link dev.floe.controller.registry.FleetIndex}, indexed so that a placement decision reads a few
 * entries and never scans the fleet, and runs placement on it under its lock. A worker leaves the
 * view the moment its stream ends or falls silent. What follows from a change is done by
 * {@link dev.floe.controller.registry.FleetSubscriber}s: the channels to workers (the gateway),
 * {@link dev.floe.controller.registry.FleetChanges} (the watch stream) and
 * {@link dev.floe.controller.registry.RoomSignal} (waking invocations that wait for room). Reports are kept as the {@code Environment}
 * messages the workers sent: they are immutable values, and the Fleet API returns them as they are.
 */
package dev.floe.controller.registry;
