/**
 * Controllers that share one fleet through etcd: the connection to etcd under Floe's key prefix, the
 * members (each on a lease), the shards of functions they own with the fencing token each write checks,
 * and the forwarding of a call to its function's owner. A controller without {@code --etcd} uses none of
 * this: its stores are SQLite and it owns every function.
 */
package dev.floe.controller.cluster;
