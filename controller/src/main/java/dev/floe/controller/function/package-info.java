/**
 * The functions the controller keeps. {@link dev.floe.controller.function.FunctionCatalog} checks every
 * create and update against Lambda's limits and turns it into a new, immutable revision with a
 * fleet-wide unique id; {@link dev.floe.controller.function.FunctionStore} keeps the revisions durably
 * (on SQLite by default) and {@link dev.floe.controller.function.CodeStore} keeps the code packages
 * as content-addressed files, so identical code is stored once and workers fetch it by its SHA-256.
 * A revision is kept as the {@code dev.floe.proto.Function} message the API returns: it is an
 * immutable value already, and a parallel domain type would only copy its fields.
 */
package dev.floe.controller.function;
