package dev.floe.controller.cluster;

import dev.floe.controller.placement.Hashing;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which controller owns which functions. Functions fall into {@link #COUNT} shards by a hash of their
 * name; each shard's home is chosen among the live members by rendezvous hashing (the member with the
 * highest hash of member and shard), so a member joining or leaving moves only the shards it gains or
 * loses. A shard is owned by holding the key {@code shards/N} on the owner's lease: etcd gives it to
 * one member at a time, and takes it away when the lease expires. The key's mod revision when taken is
 * the shard's fencing token: every write only the owner may make checks it ({@link #fence()}), so a
 * controller paused past its lease writes nothing once another took the shard.
 *
 * <p>{@link #balance()} runs after each change of the members and every half second: it takes the
 * free shards whose home is this member and gives back the ones whose home is another live member.
 */
public final class Shards {
    private static final System.Logger LOG = System.getLogger(Shards.class.getName());
    public static final int COUNT = 64;
    static final String SHARDS = "shards/";

    /** A shard's holder and its fencing token (the revision it was taken at). */
    public record Holder(String member, long token) {}

    private final Etcd etcd;
    private final Membership membership;
    private volatile Map<Integer, Holder> holders = Map.of();

    public Shards(Etcd etcd, Membership membership) {
        this.etcd = etcd;
        this.membership = membership;
    }

    public static int shardOf(String function) {
        return (int) Long.remainderUnsigned(Hashing.hash64(function), COUNT);
    }

    private static String key(int shard) {
        return SHARDS + String.format("%02d", shard);
    }

    /** Where the shard belongs among {@code members}: rendezvous hashing, so a change of members moves few shards. */
    static String home(int shard, List<String> members) {
        String best = null;
        long bestScore = 0;
        for (String m : members) {
            long score = Hashing.hash64(m + "#" + shard);
            if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
                best = m;
                bestScore = score;
            }
        }
        return best;
    }

    /** Reads who holds what, takes this member's free shards and gives back those whose home is elsewhere. */
    public synchronized void balance() {
        read();
        List<String> members = membership.liveIds();
        if (!members.contains(membership.id())) {
            return; // this member's lease lapsed: it takes nothing until it has joined again
        }
        boolean changed = false;
        for (int shard = 0; shard < COUNT; shard++) {
            String home = home(shard, members);
            Holder held = holders.get(shard);
            if (held == null && membership.id().equals(home)) {
                changed |= etcd.transaction().absent(key(shard)).putLeased(key(shard), membership.id(), membership.leaseId())
                        .commit("taking shard " + shard).isSucceeded();
            } else if (held != null && held.member().equals(membership.id()) && !membership.id().equals(home)) {
                // The home member is live: give it the shard; it takes it at its next balance.
                changed |= etcd.transaction().unchangedSince(key(shard), held.token()).delete(key(shard))
                        .commit("giving back shard " + shard).isSucceeded();
            }
        }
        if (changed) {
            read();
            LOG.log(System.Logger.Level.INFO, "controller " + membership.id() + " owns " + owned().size() + " of " + COUNT + " shards");
        }
    }

    private void read() {
        Map<Integer, Holder> now = new HashMap<>();
        for (KeyValue kv : etcd.range(SHARDS)) {
            String name = etcd.name(kv).substring(SHARDS.length());
            now.put(Integer.parseInt(name), new Holder(kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision()));
        }
        holders = Map.copyOf(now);
    }

    /** Whether this member holds the function's shard (as last read). */
    public boolean owns(String function) {
        Holder h = holders.get(shardOf(function));
        return h != null && h.member().equals(membership.id());
    }

    /** The member that holds the function's shard, or, while none does, the one whose home it is. */
    public Optional<String> ownerOf(String function) {
        int shard = shardOf(function);
        Holder h = holders.get(shard);
        if (h != null) {
            return Optional.of(h.member());
        }
        return Optional.ofNullable(home(shard, membership.liveIds()));
    }

    /** The shards this member holds. */
    public List<Integer> owned() {
        return ownedBy(membership.id());
    }

    public List<Integer> ownedBy(String member) {
        List<Integer> result = new ArrayList<>();
        holders.forEach((shard, h) -> {
            if (h.member().equals(member)) {
                result.add(shard);
            }
        });
        result.sort(null);
        return result;
    }

    /**
     * The fence of this member's writes: the function's shard key still at the token this member took it
     * with. Where it holds no shard, a condition that cannot hold: the write is refused.
     */
    public Fence fence() {
        return (txn, function) -> {
            int shard = shardOf(function);
            Holder h = holders.get(shard);
            long token = h != null && h.member().equals(membership.id()) ? h.token() : -1;
            txn.unchangedSinceAt(etcd.key(key(shard)), token);
        };
    }
}
