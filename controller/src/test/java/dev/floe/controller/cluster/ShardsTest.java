package dev.floe.controller.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.controller.async.AsyncStore;
import dev.floe.controller.async.EtcdAsyncStore;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.ControllerMember;
import dev.floe.testing.Await;
import dev.floe.testing.EtcdProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shards on a real etcd: every shard held by one live member, and the fence that stops an ex-owner's writes. */
class ShardsTest {
    private static EtcdProcess etcd;
    private final String prefix = "/floe-" + UUID.randomUUID() + "/";
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }

    private record Member(Etcd etcd, Membership membership, Shards shards) {}

    private Member member(String id) {
        Etcd connection = Etcd.connect(etcd.endpoints(), prefix);
        opened.add(connection);
        Membership m = Membership.join(connection, id, Duration.ofSeconds(2));
        opened.add(m);
        m.announce(ControllerMember.newBuilder().setId(id).setGrpcAddress("127.0.0.1:1").build());
        return new Member(connection, m, new Shards(connection, m));
    }

    private static void balance(Member... members) {
        for (int round = 0; round < 3; round++) {
            for (Member m : members) {
                m.membership().refresh();
                m.shards().balance();
            }
        }
    }

    @Test
    void everyShardHasOneOwnerAndAMemberLeavingHandsItsOnToTheOthers() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        balance(a, b, c);

        int total = a.shards().owned().size() + b.shards().owned().size() + c.shards().owned().size();
        assertEquals(Shards.COUNT, total, "each shard is held once");
        assertTrue(a.shards().owned().size() > 5 && b.shards().owned().size() > 5 && c.shards().owned().size() > 5,
                "rendezvous hashing spreads the shards: " + a.shards().owned().size() + "/" + b.shards().owned().size()
                        + "/" + c.shards().owned().size());
        List<Integer> keptByB = b.shards().owned();

        c.membership().close(); // its lease revoked, as at a clean stop
        balance(a, b);

        assertEquals(Shards.COUNT, a.shards().owned().size() + b.shards().owned().size());
        assertTrue(b.shards().owned().containsAll(keptByB), "a departure moves only the departed member's shards");
    }

    @Test
    void anOwnerWhoseLeaseExpiredWritesNothingAfterTheTakeover() {
        Member a = member("a");
        balance(a);
        String function = "fenced";
        assertTrue(a.shards().owns(function));
        AsyncStore storeA = EtcdAsyncStore.open(a.etcd(), a.membership().leaseId(), a.shards()::owns, a.shards().fence());
        opened.add(storeA);
        String early = storeA.insert(function, "", List.of(ByteString.copyFromUtf8("1")), 1_000).getFirst();
        AsyncStore.Claim running = storeA.claimDue(1_000, 0, "old", 10).getFirst();

        // A pauses past its lease (SIGSTOP): the lease ends while A still believes it owns the shard.
        Etcd.await(a.etcd().client().getLeaseClient().revoke(a.membership().leaseId()), "revoking");
        Member b = member("b");
        balance(b);
        assertTrue(b.shards().owns(function), "b took the shard");
        assertTrue(a.shards().owns(function), "a, resumed, has not looked yet");
        String late = storeA.insert(function, "", List.of(ByteString.copyFromUtf8("2")), 2_000).getFirst();

        assertEquals(List.of(), storeA.claimDue(3_000, 0, "old", 10), "a's claims fail on the fence");
        assertFalse(storeA.finish(running, new AsyncStore.Attempt("r", 1, ByteString.EMPTY, "", "", ""),
                AsyncInvocation.Status.SUCCEEDED, 3_000, 3_000, "", false), "a's attempt's end is not recorded");

        AsyncStore storeB = EtcdAsyncStore.open(b.etcd(), b.membership().leaseId(), b.shards()::owns, b.shards().fence());
        opened.add(storeB);
        Await.until(Duration.ofSeconds(10), "b runs both: the one a was running and the one queued since",
                () -> storeB.claimDue(4_000, 0, "old", 10).size() == 2 || storeB.count(AsyncInvocation.Status.RUNNING) == 2);
        assertEquals(AsyncInvocation.Status.RUNNING, storeB.get(early).orElseThrow().getStatus());
        assertEquals(AsyncInvocation.Status.RUNNING, storeB.get(late).orElseThrow().getStatus());
        assertEquals(2, storeB.get(early).orElseThrow().getAttempts(), "a's cut-off attempt counts");
    }
}
