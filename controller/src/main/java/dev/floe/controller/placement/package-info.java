/**
 * Where an invocation runs. A {@link dev.floe.controller.placement.Placement} is a pure function of a
 * read-only {@link dev.floe.controller.placement.FleetState} and a
 * {@link dev.floe.controller.placement.PlacementRequest}: no RPC, clock or threads inside, so tests
 * and a simulator can drive it with constructed fleets, and policies can be compared on the same
 * input. {@link dev.floe.controller.placement.Placements} names the policies.
 */
package dev.floe.controller.placement;
