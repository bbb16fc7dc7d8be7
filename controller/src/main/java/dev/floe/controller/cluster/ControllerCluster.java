package dev.floe.controller.cluster;

import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;
import dev.floe.controller.async.AsyncStore;
import dev.floe.controller.async.EtcdAsyncStore;
import dev.floe.controller.function.CodeStore;
import dev.floe.controller.function.EtcdFunctionStore;
import dev.floe.controller.function.FunctionStore;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.ControllerMember;
import io.etcd.jetcd.KeyValue;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What a controller started with {@code --etcd} has beside a single one: the connection to etcd, its
 * membership, the shards it owns, the forwarding of calls to owners, and the stores in etcd. Made in
 * two steps: {@link #connect} before the stores open (the async claimer needs the lease), then
 * {@link #announce} once the gRPC server has its port, from which on this controller takes shards.
 */
public final class ControllerCluster implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControllerCluster.class.getName());
    /** How often members and shards are read again beside the changes this controller makes. */
    static final Duration BALANCE_EVERY = Duration.ofMillis(500);

    private final Etcd etcd;
    private final Membership membership;
    private final Shards shards;
    private volatile OwnerForwarding forwarding;
    private volatile CodeCopies codeCopies;
    private PeerChannels peers;
    private ScheduledFuture<?> balancing;

    private ControllerCluster(Etcd etcd, Membership membership) {
        this.etcd = etcd;
        this.membership = membership;
        this.shards = new Shards(etcd, membership);
    }

    /** Connects to etcd and takes a lease of {@code lease}; the member is announced later. */
    public static ControllerCluster connect(List<URI> endpoints, String prefix, Duration lease, String id) {
        Etcd etcd = Etcd.connect(endpoints, prefix);
        try {
            Membership m = Membership.join(etcd, id == null ? "controller-" + UUID.randomUUID().toString().substring(0, 8) : id, lease);
            return new ControllerCluster(etcd, m);
        } catch (RuntimeException e) {
            etcd.close();
            throw e;
        }
    }

    public FunctionStore functionStore() {
        return EtcdFunctionStore.open(etcd.under(""));
    }

    public AsyncStore asyncStore() {
        return EtcdAsyncStore.open(etcd, membership.leaseId(), shards::owns, shards.fence());
    }

    /** The cluster's token: {@code given} if set (every controller must be given the same), else the one kept in etcd, made by the first controller. */
    public ClusterToken token(ClusterToken given) {
        if (given != null) {
            return given;
        }
        ClusterToken fresh = ClusterToken.generate();
        etcd.transaction().absent("token").put("token", fresh.reveal()).commit("keeping the cluster token");
        KeyValue kv = etcd.get("token");
        return ClusterToken.parse(kv.getValue().toString(StandardCharsets.UTF_8));
    }

    /**
     * Writes this member (its addresses) and starts taking shards: at once, then every
     * {@link #BALANCE_EVERY}, calling {@code refreshed} after each read so the catalog follows the others' writes.
     */
    public void announce(HostPort grpc, HostPort http, Invoker invoker, CodeStore code, Function<HostPort, ManagedChannel> open,
            ScheduledExecutorService timer, ExecutorService work, Runnable refreshed) {
        peers = new PeerChannels(open);
        membership.announce(ControllerMember.newBuilder().setId(membership.id()).setGrpcAddress(grpc.toString())
                .setHttpAddress(http == null ? "" : http.toString()).setStartedMs(System.currentTimeMillis()).build());
        codeCopies = new CodeCopies(membership, code, peers);
        code.remote(codeCopies);
        forwarding = new OwnerForwarding(shards, membership, invoker, peers);
        invoker.forwarding(forwarding);
        balance(refreshed);
        balancing = timer.scheduleWithFixedDelay(() -> work.execute(() -> balance(refreshed)),
                BALANCE_EVERY.toMillis(), BALANCE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void balance(Runnable refreshed) {
        try {
            membership.refresh();
            shards.balance();
            refreshed.run();
        } catch (RuntimeException e) {
            // etcd away (no majority): placement of known functions goes on; the next pass tries again.
            LOG.log(System.Logger.Level.WARNING, "could not read the cluster from etcd: " + e.getMessage());
        }
    }

    /** Null until announced. */
    public CodeCopies codeCopies() {
        return codeCopies;
    }

    public Membership membership() {
        return membership;
    }

    public Shards shards() {
        return shards;
    }

    public Etcd etcd() {
        return etcd;
    }

    /** Stops reading the cluster and closes the channels to other controllers (before the threads they run on stop). Idempotent. */
    public synchronized void quiesce() {
        if (balancing != null) {
            balancing.cancel(false);
        }
        if (peers != null) {
            peers.close();
        }
    }

    /** Leaves the cluster: its lease revoked, its shards go to the others at once. */
    @Override
    public void close() {
        quiesce();
        membership.close();
        etcd.close();
    }
}
