package dev.floe.client.cli;

import dev.floe.client.FloeClient;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.Environment;
import dev.floe.proto.ListControllersResponse;
import dev.floe.proto.Worker;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@code floe envs}, {@code floe workers} and {@code floe top}: what the fleet is running, as a table or live. */
final class FleetCommands {
    private final Cli cli;

    FleetCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe envs}, {@code floe workers} and {@code floe top}. */
    static List<FloeCommand> commands() {
        return List.of(
                FloeCommand.named("envs").section(FloeCommand.Section.OBSERVE).synopsis("envs [--function NAME] [--json]")
                        .summary("every environment in the fleet: function, revision, worker, state, pid, memory, invocations")
                        .options(Cli.connectionOptions(new Args.Spec().value("function", "NAME", "only this function's")
                                .flag("json", "print the environments as JSON")))
                        .runs((args, cli) -> new FleetCommands(cli).envs(args)).build(),
                FloeCommand.named("workers").section(FloeCommand.Section.OBSERVE).synopsis("workers [--json]")
                        .summary("every worker: address, state, memory, environments and its sandbox (freezer, limits, /tmp, launcher)")
                        .options(Cli.connectionOptions(new Args.Spec().flag("json", "print the workers as JSON")))
                        .runs((args, cli) -> new FleetCommands(cli).workers(args)).build(),
                FloeCommand.named("controllers").section(FloeCommand.Section.OBSERVE).synopsis("controllers [--json]")
                        .summary("the controllers of a cluster (floe controller --etcd): addresses, the shards each owns, health")
                        .options(Cli.connectionOptions(new Args.Spec().flag("json", "print the controllers as JSON")))
                        .runs((args, cli) -> new FleetCommands(cli).controllers(args)).build(),
                FloeCommand.named("top").section(FloeCommand.Section.OBSERVE).synopsis("top [--function NAME] [--once]")
                        .summary("workers and environments (busy / thawed / frozen), live")
                        .description("Redrawn at most four times a second as the workers report changes; ends with Ctrl-C or"
                                + " when the controller goes away.")
                        .options(Cli.connectionOptions(new Args.Spec().value("function", "NAME", "only this function's environments")
                                .flag("once", "print the fleet as it is now and exit")))
                        .runs((args, cli) -> new FleetCommands(cli).top(args)).build());
    }

    int envs(Args args) {
        args.positional(0, "no arguments");
        try (FloeClient client = cli.connect(args)) {
            List<Environment> envs = client.environments(args.value("function", ""));
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(envs));
                return 0;
            }
            Table table = new Table("ID", "FUNCTION", "REVISION", "WORKER", "STATE", "PID", "MEMORY", "INVOCATIONS", "LAST USED");
            for (Environment e : envs) {
                table.row(e.getId(), e.getFunction(), e.getRevision(), e.getWorkerId(), e.getState(), e.getPid(),
                        e.getMemoryMb() + " MB", e.getInvocations(), Cli.instant(e.getLastUsed()));
            }
            table.print(cli.out());
            return 0;
        }
    }

    int controllers(Args args) {
        args.positional(0, "no arguments");
        try (FloeClient client = cli.connect(args)) {
            ListControllersResponse r = client.controllers();
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(r.getControllersList()));
                return 0;
            }
            if (!r.getClustered()) {
                cli.out().println("a single controller at " + client.endpoint() + " (started without --etcd): it owns every function");
                return 0;
            }
            Table table = new Table("ID", "ADDRESS", "LAMBDA API", "SHARDS", "HEALTH", "STARTED");
            for (ControllerStatus c : r.getControllersList()) {
                table.row(c.getMember().getId() + (c.getAnswering() ? " *" : ""), c.getMember().getGrpcAddress(),
                        c.getMember().getHttpAddress(), c.getShardsCount() + "/" + r.getShardCount() + " " + ranges(c.getShardsList()),
                        c.getHealthy() ? "ok" : "down", Instant.ofEpochMilli(c.getMember().getStartedMs()).toString());
            }
            table.print(cli.out());
            return 0;
        }
    }

    /** Shard numbers as ranges: 0-3,7,9-10. */
    static String ranges(List<Integer> shards) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < shards.size(); i++) {
            int start = shards.get(i);
            int end = start;
            while (i + 1 < shards.size() && shards.get(i + 1) == end + 1) {
                end = shards.get(++i);
            }
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(start == end ? String.valueOf(start) : start + "-" + end);
        }
        return out.toString();
    }

    int workers(Args args) {
        args.positional(0, "no arguments");
        try (FloeClient client = cli.connect(args)) {
            List<Worker> workers = client.workers();
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(workers));
                return 0;
            }
            Table table = new Table("ID", "ADDRESS", "STATE", "MEMORY", "USED", "ENVIRONMENTS", "FREEZER", "MEMORY LIMIT", "TMP",
                    "LAUNCHER");
            for (Worker w : workers) {
                table.row(w.getId(), w.getAddress(), w.getState(), w.getMemoryMb() + " MB", w.getMemoryUsedMb() + " MB",
                        w.getEnvironments(), w.getSandbox().getFreezer(), w.getSandbox().getMemoryLimit(), w.getSandbox().getTmp(),
                        w.getSandbox().getLauncher());
            }
            table.print(cli.out());
            return 0;
        }
    }

    /**
     * Watches the fleet and redraws the board at most four times a second while changes come;
     * {@code --once} prints the fleet as it is and returns. Ends with the stream (Ctrl-C, or the
     * controller going away).
     */
    int top(Args args) throws Exception {
        args.positional(0, "no arguments");
        boolean once = args.flag("once");
        FleetBoard board = new FleetBoard();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        boolean[] dirty = {false};
        try (FloeClient client = cli.connect(args);
             AutoCloseable watch = client.watch(args.value("function", ""), new io.grpc.stub.StreamObserver<>() {
                 @Override
                 public void onNext(dev.floe.proto.FleetChange change) {
                     synchronized (board) {
                         board.apply(change);
                         dirty[0] = true;
                         board.notifyAll();
                     }
                 }

                 @Override
                 public void onError(Throwable t) {
                     ended.completeExceptionally(FloeException.fromThrowable(t));
                     synchronized (board) {
                         board.notifyAll();
                     }
                 }

                 @Override
                 public void onCompleted() {
                     ended.complete(null);
                     synchronized (board) {
                         board.notifyAll();
                     }
                 }
             })) {
            boolean terminal = System.console() != null && !once;
            while (true) {
                synchronized (board) {
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                    while (!ended.isDone() && !(board.synced() && dirty[0])) {
                        long left = deadline - System.nanoTime();
                        if (once && left <= 0) {
                            throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "the controller sent no snapshot of the fleet within 30 s");
                        }
                        board.wait(once ? Math.max(1, left / 1_000_000) : 1_000);
                    }
                    if (ended.isDone()) {
                        ended.join();
                        return 0;
                    }
                    if (terminal) {
                        cli.out().print("\033[H\033[2J");
                    }
                    board.render(cli.out(), client.endpoint().toString(), Instant.now());
                    cli.out().flush();
                    dirty[0] = false;
                }
                if (once) {
                    return 0;
                }
                cli.out().println();
                Thread.sleep(250); // at most four frames a second, however fast the fleet changes
            }
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof FloeException floe ? floe : e;
        }
    }
}
