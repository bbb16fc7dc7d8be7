/**
 * Types every part of Floe shares: the limits a function must respect ({@link dev.floe.common.FunctionLimits}),
 * errors as values with codes a user can act on ({@link dev.floe.common.ErrorType},
 * {@link dev.floe.common.FloeException}), argument checks, and the event loops the gRPC and HTTP
 * servers run on. Nothing here serves gRPC.
 */
package dev.floe.common;
