package dev.floe.controller.async;

import dev.floe.controller.cluster.Etcd;
import dev.floe.controller.cluster.Fence;
import dev.floe.testing.EtcdProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The asynchronous store contract on a real etcd. Each store is a claimer with its own connection and
 * lease; the next claimer sees the first one's attempts as orphans once it closed.
 */
class EtcdAsyncStoreTest extends AsyncStoreContract {
    private static EtcdProcess etcd;
    private final String prefix = "/floe-" + UUID.randomUUID() + "/";
    private final List<Etcd> connections = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    @AfterEach
    void closeConnections() {
        connections.forEach(Etcd::close);
    }

    private AsyncStore claimer() {
        Etcd connection = Etcd.connect(etcd.endpoints(), prefix);
        connections.add(connection);
        long lease = Etcd.await(connection.client().getLeaseClient().grant(30), "granting a lease").getID();
        return EtcdAsyncStore.open(connection, lease, function -> true, Fence.NONE);
    }

    @org.junit.jupiter.api.Test
    void aBatchBiggerThanEtcdsDefaultTransactionIsAcceptedWholeInSeveral() {
        try (EtcdProcess plain = EtcdProcess.start(128); Etcd connection = Etcd.connect(plain.endpoints(), prefix)) {
            long lease = Etcd.await(connection.client().getLeaseClient().grant(30), "granting a lease").getID();
            AsyncStore s = track(EtcdAsyncStore.open(connection, lease, function -> true, Fence.NONE));
            List<String> ids = s.insert("fn", "", java.util.Collections.nCopies(200, com.google.protobuf.ByteString.copyFromUtf8("e")), T0);

            org.junit.jupiter.api.Assertions.assertEquals(200, ids.size());
            org.junit.jupiter.api.Assertions.assertEquals(200, s.count(dev.floe.proto.AsyncInvocation.Status.QUEUED));
            s.close();
        }
    }

    @org.junit.jupiter.api.Test
    void aClaimerFindsItsFunctionsEventsBehindAnotherOwnersBacklog() {
        Etcd connection = Etcd.connect(etcd.endpoints(), prefix);
        connections.add(connection);
        long lease = Etcd.await(connection.client().getLeaseClient().grant(30), "granting a lease").getID();
        AsyncStore mine = track(EtcdAsyncStore.open(connection, lease, "mine"::equals, Fence.NONE));
        store.insert("busy", "", java.util.Collections.nCopies(600, com.google.protobuf.ByteString.copyFromUtf8("b")), T0);
        String id = store.insert("mine", "", List.of(com.google.protobuf.ByteString.copyFromUtf8("m")), T0 + 1).getFirst();

        List<AsyncStore.Claim> claims = mine.claimDue(T0 + 2, 0, "old", 4);

        org.junit.jupiter.api.Assertions.assertEquals(List.of(id), claims.stream().map(AsyncStore.Claim::id).toList(),
                "600 older events of a function another controller owns do not hide this one's");
    }

    @Override
    protected AsyncStore openStore() {
        return claimer();
    }

    @Override
    protected AsyncStore openAgain() {
        return claimer();
    }
}
