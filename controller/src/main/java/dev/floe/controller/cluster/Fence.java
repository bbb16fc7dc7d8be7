package dev.floe.controller.cluster;

/**
 * Guards a write to what a function's owner alone may write (its asynchronous claims): adds to the
 * write's transaction the condition that this controller still holds the function's shard, at the
 * token (the etcd revision) it took it with. A controller paused past its lease, whose shard another
 * took meanwhile, then writes nothing: its transaction fails on the condition.
 */
@FunctionalInterface
public interface Fence {
    /** Guards nothing: a single controller, or a test of the store alone. */
    Fence NONE = (txn, function) -> { };

    void guard(Etcd.Transaction txn, String function);
}
