package dev.floe.worker.link;

import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.ControllersGrpc;
import dev.floe.proto.ListControllersRequest;
import dev.floe.proto.ListControllersResponse;
import dev.floe.worker.code.CodeSource;
import dev.floe.worker.environment.EnvironmentView;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The worker's links to every controller of its cluster. It starts with the addresses it was given
 * ({@code --controller H:P[,H:P...]}), asks any controller it reaches for the members
 * ({@code Controllers.ListControllers}) every {@link #DISCOVER_EVERY}, opens a link to each member it
 * has none to and closes the links to members that left, so each controller holds the whole fleet
 * view. A single controller (no cluster) answers that it is alone: then the given addresses are all.
 */
public final class ControllerLinks implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControllerLinks.class.getName());
    static final Duration DISCOVER_EVERY = Duration.ofSeconds(1);

    private record Peer(ManagedChannel channel, ControllerLink link) {}

    private final List<HostPort> seeds;
    private final Function<HostPort, ManagedChannel> open;
    private final BiFunction<ManagedChannel, HostPort, ControllerLink> linkFor;
    private final EventLoop timer;
    private final Executor blocking;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private ScheduledFuture<?> discovery;
    private boolean closed;

    public ControllerLinks(List<HostPort> seeds, Function<HostPort, ManagedChannel> open,
            BiFunction<ManagedChannel, HostPort, ControllerLink> linkFor, EventLoop timer, Executor blocking) {
        this.seeds = List.copyOf(seeds);
        this.open = open;
        this.linkFor = linkFor;
        this.timer = timer;
        this.blocking = blocking;
    }

    public synchronized void start() {
        seeds.forEach(this::add);
        discovery = timer.scheduleWithFixedDelay(() -> blocking.execute(this::discover), 0, DISCOVER_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private synchronized void add(HostPort address) {
        if (closed || peers.containsKey(address.toString())) {
            return;
        }
        ManagedChannel channel = open.apply(address);
        ControllerLink link = linkFor.apply(channel, address);
        peers.put(address.toString(), new Peer(channel, link));
        link.start();
    }

    private synchronized void remove(String address) {
        Peer p = peers.remove(address);
        if (p != null) {
            p.link().close();
            Lifecycles.shutdown(p.channel(), Duration.ofSeconds(2));
        }
    }

    private synchronized List<Peer> snapshot() {
        return new ArrayList<>(peers.values());
    }

    /** Asks the controllers it reaches for the members; follows joins and departures. */
    void discover() {
        for (Peer p : snapshot()) {
            ListControllersResponse members;
            try {
                members = ControllersGrpc.newBlockingStub(p.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                        .listControllers(ListControllersRequest.getDefaultInstance());
            } catch (RuntimeException e) {
                continue; // that one is away: ask the next
            }
            if (!members.getClustered()) {
                return;
            }
            Set<String> wanted = new LinkedHashSet<>();
            for (ControllerStatus s : members.getControllersList()) {
                wanted.add(s.getMember().getGrpcAddress());
            }
            for (String address : wanted) {
                if (!has(address)) {
                    LOG.log(System.Logger.Level.INFO, "controller " + address + " joined; linking to it");
                    add(HostPort.parse(address));
                }
            }
            for (String address : addresses()) {
                if (!wanted.contains(address) && !wanted.isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "controller " + address + " is not a member any more; unlinking");
                    remove(address);
                }
            }
            return;
        }
        // None answered: go back to the given addresses, so a restarted cluster is found again.
        for (HostPort seed : seeds) {
            add(seed);
        }
    }

    private synchronized boolean has(String address) {
        return peers.containsKey(address);
    }

    private synchronized List<String> addresses() {
        return new ArrayList<>(peers.keySet());
    }

    /** Tells every controller of an environment's change. */
    public void report(EnvironmentView view) {
        for (Peer p : snapshot()) {
            p.link().report(view);
        }
    }

    /** Whether the worker is registered with at least one controller. */
    public boolean connected() {
        return snapshot().stream().anyMatch(p -> p.link().connected());
    }

    /** The controllers linked now, by address. */
    public synchronized List<String> linked() {
        return peers.entrySet().stream().filter(e -> e.getValue().link().connected()).map(Map.Entry::getKey).toList();
    }

    /** Fetches code from the controllers in turn (connected ones first) until one has it. */
    public CodeSource codeSource() {
        return (sha256, target) -> fetchFrom(sortedForFetch(), 0, sha256, target);
    }

    private List<Peer> sortedForFetch() {
        List<Peer> all = snapshot();
        all.sort((a, b) -> Boolean.compare(b.link().connected(), a.link().connected()));
        return all;
    }

    private CompletableFuture<Void> fetchFrom(List<Peer> order, int i, String sha256, Path target) {
        if (i >= order.size()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no controller could send code package " + sha256));
        }
        return new ControllerCodeSource(order.get(i).channel()).fetch(sha256, target)
                .handle((ok, failure) -> failure == null ? CompletableFuture.<Void>completedFuture(null)
                        : i + 1 < order.size() ? fetchFrom(order, i + 1, sha256, target) : CompletableFuture.<Void>failedFuture(failure))
                .thenCompose(f -> f);
    }

    @Override
    public void close() {
        List<String> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (discovery != null) {
                discovery.cancel(false);
            }
            all = new ArrayList<>(peers.keySet());
        }
        all.forEach(this::remove);
    }
}
