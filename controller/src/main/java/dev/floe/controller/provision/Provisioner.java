package dev.floe.controller.provision;

import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.gateway.WorkerCallException;
import dev.floe.controller.gateway.WorkerGateway;
import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.WorkerCapacity;
import dev.floe.controller.registry.FleetView;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Keeps every function's provisioned concurrency in place: on each pass it counts, from the fleet
 * view, the provisioned environments of each function's latest revision on each worker, plans the
 * shares ({@link ProvisionPlan}), and tells each worker whose count differs its share. A worker that
 * leaves loses its share to the others on the next pass; one that takes fewer than asked (no room)
 * is asked for no more than that until the function's settings change. Passes run one at a time,
 * every {@link #INTERVAL} and when a function's settings change.
 */
public final class Provisioner {
    private static final System.Logger LOG = System.getLogger(Provisioner.class.getName());
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    /** A share sent and not yet visible in the view is sent again after this long. */
    static final long RESEND_NANOS = TimeUnit.SECONDS.toNanos(5);

    private record Sent(int count, long atNanos) {}

    /** How many passes a worker's "no room" lasts. */
    static final int LIMITS_PASSES = 30;
    private long passes;

    private final FunctionCatalog functions;
    private final FleetView fleet;
    private final WorkerGateway workers;
    private final Object pass = new Object();
    /** By revision id, by worker: the share last sent. */
    private final Map<String, Map<String, Sent>> sent = new HashMap<>();
    /** By revision id, by worker: what a worker could hold when it took fewer than asked. */
    private final Map<String, Map<String, Integer>> limits = new HashMap<>();

    /** Whose provisioned concurrency this controller keeps: in a cluster, only its own functions'. */
    private volatile java.util.function.Predicate<String> owns = function -> true;

    public Provisioner(FunctionCatalog functions, FleetView fleet, WorkerGateway workers) {
        this.functions = functions;
        this.fleet = fleet;
        this.workers = workers;
    }

    /** Keeps the provisioned environments of the functions {@code owns} accepts only (the owner's job in a cluster). */
    public void owns(java.util.function.Predicate<String> owns) {
        this.owns = owns;
    }

    /** One pass over every function; never throws (a failure is logged and the next pass tries again). */
    public void reconcile() {
        synchronized (pass) {
            try {
                reconcileOnce();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "the provisioned concurrency pass failed", e);
            }
        }
    }

    private void reconcileOnce() {
        if (++passes % LIMITS_PASSES == 0) {
            // A worker that had no room may have some now.
            limits.clear();
        }
        Set<String> current = new HashSet<>();
        for (Function f : functions.list()) {
            if (!owns.test(f.getName())) {
                continue; // another controller's: it provisions them
            }
            int wanted = f.getConcurrency().getProvisioned();
            String revisionId = f.getRevisionId();
            if (wanted == 0 && !sent.containsKey(revisionId)) {
                continue;
            }
            current.add(revisionId);
            FleetSnapshot snapshot = fleet.snapshot(revisionId);
            Map<String, Integer> holding = new HashMap<>();
            for (Environment env : fleet.environments(f.getName())) {
                if (env.getProvisioned() && env.getRevisionId().equals(revisionId)) {
                    holding.merge(env.getWorkerId(), 1, Integer::sum);
                }
            }
            Set<String> connected = new HashSet<>();
            snapshot.workers().stream().map(WorkerCapacity::id).forEach(connected::add);
            Map<String, Sent> sentHere = sent.computeIfAbsent(revisionId, r -> new HashMap<>());
            sentHere.keySet().retainAll(connected);
            Map<String, Integer> limitsHere = limits.computeIfAbsent(revisionId, r -> new HashMap<>());
            limitsHere.keySet().retainAll(connected);
            Map<String, Integer> shares = ProvisionPlan.shares(wanted, f.getConfig().getMemoryMb(), snapshot.workers(),
                    holding, limitsHere);
            long now = System.nanoTime();
            shares.forEach((workerId, share) -> {
                if (!connected.contains(workerId)) {
                    return;
                }
                Sent last = sentHere.get(workerId);
                boolean visible = holding.getOrDefault(workerId, 0) == share;
                boolean pending = last != null && last.count() == share && now - last.atNanos() < RESEND_NANOS;
                if (!visible && !pending) {
                    sentHere.put(workerId, new Sent(share, now));
                    send(workerId, f, share, limitsHere);
                }
            });
            if (wanted == 0 && shares.values().stream().allMatch(s -> s == 0)
                    && holding.values().stream().allMatch(h -> h == 0)) {
                sent.remove(revisionId);
                limits.remove(revisionId);
                current.remove(revisionId);
            }
        }
        // Revisions no longer latest (or deleted): the workers dropped them with the revision's environments.
        sent.keySet().retainAll(current);
        limits.keySet().retainAll(current);
    }

    /** Forgets what workers could not hold: the function's settings changed, so try again. */
    public void settingsChanged(String revisionId) {
        synchronized (pass) {
            limits.remove(revisionId);
            Map<String, Sent> sentHere = sent.get(revisionId);
            if (sentHere != null) {
                sentHere.clear();
            }
        }
    }

    private void send(String workerId, Function function, int share, Map<String, Integer> limitsHere) {
        workers.provision(workerId, function, share).whenComplete((held, failure) -> {
            if (failure != null) {
                synchronized (pass) {
                    limitsHere.put(workerId, 0);
                }
                LOG.log(System.Logger.Level.WARNING, "worker " + workerId + " refused provisioned environments of "
                        + function.getName() + ": " + WorkerCallException.from(failure).error().getMessage());
            } else if (held < share) {
                synchronized (pass) {
                    limitsHere.put(workerId, held);
                }
                LOG.log(System.Logger.Level.INFO, "worker " + workerId + " holds " + held + " of the "
                        + share + " provisioned environments of " + function.getName() + " asked of it (no room)");
            }
        });
    }
}
