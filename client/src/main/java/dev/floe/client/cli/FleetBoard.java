package dev.floe.client.cli;

import dev.floe.proto.Environment;
import dev.floe.proto.FleetChange;
import dev.floe.proto.Worker;
import java.io.PrintStream;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code floe top} shows: the fleet rebuilt from a watch's changes, workers with how many of
 * their environments are busy, idle or frozen, and every environment. Not thread-safe: the caller
 * applies and renders under one lock.
 */
final class FleetBoard {
    private final Map<String, Worker> workers = new TreeMap<>();
    private final Map<String, Environment> environments = new TreeMap<>();
    private boolean synced;
    private long changes;

    void apply(FleetChange change) {
        switch (change.getChangeCase()) {
            case WORKER -> workers.put(change.getWorker().getId(), change.getWorker());
            case WORKER_LEFT -> {
                workers.remove(change.getWorkerLeft());
                environments.values().removeIf(e -> e.getWorkerId().equals(change.getWorkerLeft()));
            }
            case ENVIRONMENT -> {
                Environment env = change.getEnvironment();
                if (env.getState() == Environment.State.RETIRED) {
                    environments.remove(env.getId());
                } else {
                    environments.put(env.getId(), env);
                }
            }
            case SYNCED -> synced = true;
            case CHANGE_NOT_SET -> { }
        }
        changes++;
    }

    boolean synced() {
        return synced;
    }

    void render(PrintStream out, String endpoint, Instant now) {
        Map<Environment.State, Integer> total = new EnumMap<>(Environment.State.class);
        environments.values().forEach(e -> total.merge(e.getState(), 1, Integer::sum));
        out.println("floe top: " + endpoint + " at " + now + ": " + workers.size() + " worker" + (workers.size() == 1 ? "" : "s")
                + ", " + environments.size() + " environment" + (environments.size() == 1 ? "" : "s") + " (" + count(total, Environment.State.BUSY)
                + " busy, " + (count(total, Environment.State.IDLE)) + " thawed, " + count(total, Environment.State.FROZEN) + " frozen, "
                + (count(total, Environment.State.STARTING) + count(total, Environment.State.INITIALIZING)) + " starting); "
                + changes + " changes seen");
        out.println();
        Table workerTable = new Table("WORKER", "ADDRESS", "MEMORY", "ENVIRONMENTS", "BUSY", "THAWED", "FROZEN", "STARTING");
        for (Worker w : workers.values()) {
            Map<Environment.State, Integer> here = new EnumMap<>(Environment.State.class);
            environments.values().stream().filter(e -> e.getWorkerId().equals(w.getId()))
                    .forEach(e -> here.merge(e.getState(), 1, Integer::sum));
            workerTable.row(w.getId(), w.getAddress(), w.getMemoryUsedMb() + "/" + w.getMemoryMb() + " MB",
                    here.values().stream().mapToInt(Integer::intValue).sum(), count(here, Environment.State.BUSY),
                    count(here, Environment.State.IDLE), count(here, Environment.State.FROZEN),
                    count(here, Environment.State.STARTING) + count(here, Environment.State.INITIALIZING));
        }
        workerTable.print(out);
        out.println();
        Table envTable = new Table("ENVIRONMENT", "FUNCTION", "REVISION", "WORKER", "STATE", "INVOCATIONS", "MEMORY", "PID");
        for (Environment e : environments.values()) {
            envTable.row(e.getId(), e.getFunction(), e.getRevision(), e.getWorkerId(), stateName(e.getState()), e.getInvocations(),
                    e.getMemoryMb() + " MB", e.getPid());
        }
        envTable.print(out);
    }

    /** IDLE is an environment thawed and waiting; the others read as they are. */
    private static String stateName(Environment.State state) {
        return state == Environment.State.IDLE ? "THAWED" : state.name();
    }

    private static int count(Map<Environment.State, Integer> counts, Environment.State state) {
        return counts.getOrDefault(state, 0);
    }
}
