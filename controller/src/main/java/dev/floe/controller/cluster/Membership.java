package dev.floe.controller.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.floe.proto.ControllerMember;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * This controller's membership of the cluster: a lease kept alive while the process runs, and the key
 * {@code members/ID} on it, so a controller that dies (kill -9, a lost machine) leaves the members when
 * its lease expires, within {@code ttl}. The live members are read again at each {@link #refresh()}.
 */
public final class Membership implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Membership.class.getName());
    static final String MEMBERS = "members/";
    /** How long a starting controller waits for etcd's first answer. */
    static final Duration JOIN_WAIT = Duration.ofSeconds(30);

    private final Etcd etcd;
    private final String id;
    private volatile ControllerMember self;
    private final long leaseId;
    private final CloseableClient keepAlive;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, ControllerMember> live = Map.of();
    private volatile boolean leaseLost;

    private Membership(Etcd etcd, String id, long leaseId, CloseableClient keepAlive) {
        this.etcd = etcd;
        this.id = id;
        this.self = ControllerMember.newBuilder().setId(id).build();
        this.leaseId = leaseId;
        this.keepAlive = keepAlive;
    }

    /** Joins: grants a lease of {@code ttl} (whole seconds, at least 2) and keeps it alive; {@link #announce} writes the member. */
    public static Membership join(Etcd etcd, String id, Duration ttl) {
        long seconds = Math.max(2, ttl.toSeconds());
        long lease = grant(etcd, seconds);
        Membership[] ref = new Membership[1];
        CloseableClient keepAlive = etcd.client().getLeaseClient().keepAlive(lease, new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse response) {
                if (response.getTTL() <= 0 && ref[0] != null) {
                    ref[0].lost("etcd answered that the lease expired");
                } else if (ref[0] != null) {
                    ref[0].leaseLost = false;
                }
            }

            @Override
            public void onError(Throwable t) {
                if (ref[0] != null) {
                    ref[0].lost(t.getMessage());
                }
            }

            @Override
            public void onCompleted() {}
        });
        Membership m = new Membership(etcd, id, lease, keepAlive);
        ref[0] = m;
        return m;
    }

    /**
     * The first call to etcd: waits up to {@link #JOIN_WAIT} for it (a controller started beside etcd, or on a
     * loaded machine, must not give up after one call's deadline), then fails saying so.
     */
    private static long grant(Etcd etcd, long seconds) {
        long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
        while (true) {
            try {
                return Etcd.await(etcd.client().getLeaseClient().grant(seconds), "granting the controller's lease").getID();
            } catch (dev.floe.common.FloeException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new dev.floe.common.FloeException(e.type(), e.getMessage() + "; tried for " + JOIN_WAIT.toSeconds() + " s", e);
                }
                LOG.log(System.Logger.Level.WARNING, "etcd not answering yet (" + e.getMessage() + "); trying again");
                try {
                    Thread.sleep(500); // a refused connection fails at once: not a busy loop
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Writes this member, on the lease: from now on the others see it. */
    public void announce(ControllerMember member) {
        this.self = member;
        etcd.transaction().putLeased(MEMBERS + id, member.toByteArray(), leaseId).commit("joining the controllers");
        refresh();
        LOG.log(System.Logger.Level.INFO, "controller " + id + " joined the cluster in etcd " + etcd.prefix()
                + " at " + member.getGrpcAddress());
    }

    private void lost(String why) {
        if (!leaseLost) {
            leaseLost = true;
            LOG.log(System.Logger.Level.WARNING, "controller " + id + " lost its lease in etcd: " + why
                    + "; its shards go to the other controllers");
        }
    }

    public ControllerMember self() {
        return self;
    }

    public String id() {
        return id;
    }

    public long leaseId() {
        return leaseId;
    }

    /** Reads the live members; tells the listeners when they changed. */
    public void refresh() {
        Map<String, ControllerMember> now = new TreeMap<>();
        for (KeyValue kv : etcd.range(MEMBERS)) {
            try {
                ControllerMember m = ControllerMember.parseFrom(kv.getValue().getBytes());
                if (!m.getId().isEmpty()) {
                    now.put(m.getId(), m);
                }
            } catch (InvalidProtocolBufferException e) {
                LOG.log(System.Logger.Level.WARNING, "an unreadable member in etcd: " + etcd.name(kv));
            }
        }
        if (!now.equals(live)) {
            live = Map.copyOf(now);
            listeners.forEach(Runnable::run);
        }
    }

    /** The live members by id (this one included while its lease holds). */
    public Map<String, ControllerMember> live() {
        return live;
    }

    public List<String> liveIds() {
        return new ArrayList<>(new TreeMap<>(live).keySet());
    }

    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Leaves at once: revokes the lease, so the others take this controller's shards without waiting for it to expire. */
    @Override
    public void close() {
        keepAlive.close();
        try {
            Etcd.await(etcd.client().getLeaseClient().revoke(leaseId), "leaving the controllers");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not revoke the lease; it expires: " + e.getMessage());
        }
    }
}
