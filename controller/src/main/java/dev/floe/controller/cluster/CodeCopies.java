package dev.floe.controller.cluster;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.CodeStore;
import dev.floe.controller.placement.Hashing;
import dev.floe.proto.CodeChunk;
import dev.floe.proto.ControllerMember;
import dev.floe.proto.ControllersGrpc;
import dev.floe.proto.CopyCodeRequest;
import dev.floe.proto.FetchCodeRequest;
import dev.floe.proto.WorkerLinkGrpc;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Code packages in a cluster: too big for etcd, they are kept content-addressed in each controller's
 * code store. A package a controller received is copied to a second controller before the create or
 * update returns ({@link #copyOut}); a controller asked for a package it does not hold (a worker's
 * fetch) gets it from any member that does ({@link #fetch}).
 */
public final class CodeCopies implements CodeStore.Remote {
    private static final System.Logger LOG = System.getLogger(CodeCopies.class.getName());
    /** A 50 MB package between two machines, with room. */
    static final long COPY_TIMEOUT_S = 300;

    private final Membership membership;
    private final CodeStore code;
    private final PeerChannels peers;

    public CodeCopies(Membership membership, CodeStore code, PeerChannels peers) {
        this.membership = membership;
        this.code = code;
        this.peers = peers;
    }

    /** The other live members, in the order a package with this hash tries them (rendezvous: each package its own). */
    private List<ControllerMember> others(String sha256) {
        List<ControllerMember> result = new ArrayList<>();
        for (ControllerMember m : membership.live().values()) {
            if (!m.getId().equals(membership.id()) && !m.getGrpcAddress().isEmpty()) {
                result.add(m);
            }
        }
        result.sort(Comparator.comparingLong((ControllerMember m) -> Hashing.hash64(m.getId() + "#" + sha256)).reversed());
        return result;
    }

    /**
     * Has a second controller store the package before returning; alone in the cluster, there is none to
     * ask. Throws {@code ServiceUnavailableException} when no other member could take it.
     */
    @Override
    public void copyOut(String sha256) {
        List<ControllerMember> others = others(sha256);
        if (others.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "code package " + sha256 + " is on this controller only: no other is live");
            return;
        }
        List<String> failures = new ArrayList<>();
        for (ControllerMember m : others) {
            try {
                ControllersGrpc.newBlockingStub(peers.to(m.getGrpcAddress())).withDeadlineAfter(COPY_TIMEOUT_S, TimeUnit.SECONDS)
                        .copyCode(CopyCodeRequest.newBuilder().setSha256(sha256).setFrom(membership.self().getGrpcAddress()).build());
                return;
            } catch (RuntimeException e) {
                failures.add(m.getId() + ": " + FloeException.fromThrowable(e).getMessage());
            }
        }
        throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "code package " + sha256
                + " could not be copied to a second controller (" + String.join("; ", failures) + "); retry");
    }

    /** Gets the package from a member that holds it; false if none did. */
    @Override
    public boolean fetch(String sha256) {
        for (ControllerMember m : others(sha256)) {
            try {
                fetchFrom(m.getGrpcAddress(), sha256);
                return true;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "controller " + m.getId() + " could not send " + sha256 + ": " + e.getMessage());
            }
        }
        return false;
    }

    /** Stores the package fetched from the controller at {@code address}, checking it hashes to {@code sha256}. */
    public void fetchFrom(String address, String sha256) {
        if (code.find(sha256).isPresent()) {
            return;
        }
        Iterator<CodeChunk> chunks = WorkerLinkGrpc.newBlockingStub(peers.to(address)).withDeadlineAfter(COPY_TIMEOUT_S, TimeUnit.SECONDS)
                .fetchCode(FetchCodeRequest.newBuilder().setSha256(sha256).build());
        try (CodeStore.Staged staged = code.receive(out -> {
            while (chunks.hasNext()) {
                chunks.next().getData().writeTo(out);
            }
        })) {
            if (!staged.sha256().equals(sha256)) {
                throw new FloeException(ErrorType.SERVICE, "controller " + address + " sent a package hashing to " + staged.sha256()
                        + " (expected: " + sha256 + ")");
            }
            // Checked on the controller that received it; here only that it is what was asked for.
            staged.check(false).commit();
        }
    }
}
