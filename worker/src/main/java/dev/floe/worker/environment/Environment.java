package dev.floe.worker.environment;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.worker.runtime.Runtimes;
import dev.floe.worker.code.CodeCache;
import dev.floe.worker.runtimeapi.InvocationEvent;
import dev.floe.worker.runtimeapi.NextWaiter;
import dev.floe.worker.runtimeapi.Reply;
import dev.floe.worker.runtimeapi.RuntimeApiServer;
import dev.floe.worker.runtimeapi.RuntimeEndpoint;
import dev.floe.worker.sandbox.Cell;
import dev.floe.worker.sandbox.TmpVolume;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One execution environment: a runtime process tree for one revision of one function, with its own
 * Runtime API endpoint, cgroups, /tmp and log. It is confined to one event loop: every field below is
 * read and written only there, so the lifecycle needs no locks. Other threads reach it through
 * {@link #start}, {@link #assign} and {@link #retire}, which hop onto the loop.
 *
 * <p>One invocation at a time: the pool assigns an invocation only to an environment it took from
 * its idle set, and an environment returns itself there only when its runtime asks for the next
 * invocation.
 *
 * <p>Size: over 400 lines because the state machine's every transition and the fields it confines to
 * the loop live here; the cold-start chain (code, sandbox, endpoint, launch) is the next part to move
 * out, into a class owning the resources it acquires (issue 9).
 */
public final class Environment implements RuntimeEndpoint {
    private static final System.Logger LOG = System.getLogger(Environment.class.getName());

    private final String id;
    private final Function function;
    private final EnvironmentPool pool;
    private final EnvironmentHost host;
    private final EventLoop loop;

    private EnvironmentState state = EnvironmentState.STARTING;
    private Instant since;
    private Instant lastUsed;
    private long invocations;
    /** Null until the environment is retired. */
    private RetireReason retireReason;

    private Path dir;
    private CodeCache.Lease code;
    private Cell cell;
    private TmpVolume tmp;
    private EnvironmentLog log;
    private RuntimeApiServer.Binding endpoint;
    private Process process;

    private NextWaiter waiter;
    /** A cold start's first invocation, waiting for the runtime's first request for work. */
    private Invocation pending;
    /** Delivered to the runtime; null between invocations. */
    private Invocation current;
    private long spawnedNanos;
    private boolean launching;
    /** A streamed response collected for a caller that takes no chunks. */
    private java.io.ByteArrayOutputStream streamedBody;
    /** How the runtime starts, decided once the code is here. */
    private Runtimes.Launch launchPlan;
    private double initDurationMs;
    private long oomKillsBefore;
    private final EnvironmentFreezer freezer;
    private final InvocationMeter meter;
    private final ColdStart coldStart;
    /*
     * The timeout timer is lazy: rather than scheduling and cancelling a timer on every invocation,
     * the check re-arms itself only while it has something to watch.
     */
    private long deadlineNanos;
    private ScheduledFuture<?> timeoutCheck;
    private ScheduledFuture<?> initTimer;
    private ScheduledFuture<?> startTimer;
    /** Kept for provisioned concurrency: the pool sets it, the keep-alive policy leaves it alone. */
    private volatile boolean provisioned;

    Environment(String id, Function function, EnvironmentPool pool, EnvironmentHost host, EventLoop loop) {
        this.id = id;
        this.function = function;
        this.pool = pool;
        this.host = host;
        this.loop = loop;
        this.since = host.clock().instant();
        this.lastUsed = since;
        this.freezer = new EnvironmentFreezer(id, host, loop, () -> state == EnvironmentState.IDLE,
                () -> become(EnvironmentState.FROZEN), this::retireNow);
        this.meter = new InvocationMeter(id, memoryMb(), host);
        this.coldStart = new ColdStart(id, function, host);
    }

    public String id() {
        return id;
    }

    public Function function() {
        return function;
    }

    int memoryMb() {
        return function.getConfig().getMemoryMb();
    }

    EnvironmentView snapshot() {
        return new EnvironmentView(id, function.getName(), function.getRevision(), function.getRevisionId(),
                state, cell == null ? 0 : cell.runtimePid(), memoryMb(), since, lastUsed, invocations, retireReason == null ? "" : retireReason.wireName(), provisioned);
    }

    boolean provisioned() {
        return provisioned;
    }

    /** Marks the environment kept (or no longer kept) for provisioned concurrency, and reports it. */
    void provisioned(boolean value) {
        provisioned = value;
        loop.execute(() -> {
            if (!state.isEnding()) {
                pool.changed(this, state, snapshot());
            }
        });
    }

    // ---- cold start -------------------------------------------------------------------------

    /** Starts the environment for {@code first}, its first invocation. */
    void start(Invocation first) {
        loop.execute(() -> {
            first.markCold();
            pending = first;
            startTimer = loop.schedule(this::startTimedOut, host.startTimeout().toNanos(), TimeUnit.NANOSECONDS);
            host.metrics().transition(null, EnvironmentState.STARTING);
            pool.changed(this, null, snapshot());
            host.codeCache().acquire(function.getCodeSha256())
                    .thenAcceptAsync(lease -> {
                        code = lease;
                        prepare();
                    }, loop)
                    .exceptionally(failure -> {
                        loop.execute(() -> failStart(new FloeException(ErrorType.SERVICE,
                                "cannot get the code of " + function.getName() + ": " + rootMessage(failure), failure)));
                        return null;
                    });
        });
    }

    private void prepare() {
        if (state.isEnding()) {
            cleanUp();
            return;
        }
        ColdStart.Plan plan = coldStart.plan(code, pending.requestId());
        if (plan.initError() != null) {
            failInit(Failures.INVALID_ENTRYPOINT, Failures.document(Failures.INVALID_ENTRYPOINT, plan.initError()),
                    RetireReason.INVALID_ENTRYPOINT);
            return;
        }
        launchPlan = plan.launch();
        CompletableFuture.runAsync(() -> coldStart.prepareSandbox(
                prepared -> loop.execute(() -> {
                    dir = prepared.dir();
                    log = prepared.log();
                    cell = prepared.cell();
                    freezer.holds(prepared.cell());
                    tmp = prepared.tmp();
                    bind();
                }),
                failure -> loop.execute(() -> failStart(failure))), host.blocking());
    }

    private void bind() {
        if (state.isEnding()) {
            cleanUp();
            return;
        }
        host.runtimeApi().bind(loop, this, host.sandbox().peers(cell)).whenCompleteAsync((binding, failure) -> {
            if (failure != null) {
                failStart(new FloeException(ErrorType.SERVICE, "cannot open a Runtime API endpoint: " + failure.getMessage(), failure));
                return;
            }
            endpoint = binding;
            if (state.isEnding()) {
                cleanUp();
                return;
            }
            spawn();
        }, loop);
    }

    private void spawn() {
        Path root = code.root();
        Path taskRoot = host.sandbox().taskRoot(root);
        Runtimes.Launch plan = launchPlan;
        List<String> command = plan.command();
        var environment = RuntimeVariables.of(function, id, endpoint.address(), taskRoot, plan.variables(), host);
        Cell launchCell = cell;
        TmpVolume launchTmp = tmp;
        Path envDir = dir;
        dev.floe.worker.sandbox.OutputPump.Output output = log.output();
        log.initStart(function.getConfig().getRuntime());
        // The init phase, and its Init Duration, begin when the runtime process is started.
        spawnedNanos = host.ticker().getAsLong();
        launching = true;
        CompletableFuture.supplyAsync(() -> {
            try {
                return host.sandbox().launch(launchCell, launchTmp, root, plan.directory(), command, environment, envDir,
                        output.redirect());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                output.spawned();
            }
        }, host.blocking()).whenCompleteAsync((launched, failure) -> {
            launching = false;
            if (failure != null) {
                failStart(new FloeException(ErrorType.SERVICE, "cannot start the runtime: " + rootMessage(failure), failure));
                if (state.isEnding()) {
                    cleanUp();
                }
                return;
            }
            process = launched;
            process.onExit().thenRun(() -> loop.execute(this::exited));
            if (state.isEnding()) {
                cleanUp();
                return;
            }
            cancel(startTimer);
            become(EnvironmentState.INITIALIZING);
            initTimer = loop.schedule(this::initTimedOut, host.initTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }, loop);
    }

    // ---- warm start ---------------------------------------------------------------------------

    /** Runs {@code invocation} in this warm environment, which the pool just took from its idle set. */
    void assign(Invocation invocation) {
        loop.execute(() -> {
            if (state.isWarm() && waiter != null && waiter.isOpen()) {
                deliver(invocation);
                return;
            }
            // Its runtime hung up while it waited for work: it cannot take this invocation.
            retireNow(RetireReason.RUNTIME_DISCONNECTED);
            pool.reassign(invocation);
        });
    }

    private void deliver(Invocation invocation) {
        if (!freezer.thaw()) {
            // the thaw failed and retired the environment: the invocation runs elsewhere
            pool.reassign(invocation);
            return;
        }
        become(EnvironmentState.BUSY);
        current = invocation;
        pending = null;
        invocations++;
        lastUsed = host.clock().instant();
        long timeoutMs = function.getConfig().getTimeoutSeconds() * 1000L;
        long deadline = host.clock().millis() + timeoutMs;
        long logStart = log.start(invocation.requestId(), function.getRevision());
        invocation.delivered(host.ticker().getAsLong(), invocation.cold() ? 0 : logStart);
        NextWaiter w = waiter;
        waiter = null;
        w.deliver(new InvocationEvent(invocation.requestId(), deadline, RuntimeVariables.arn(function, host),
                TraceIds.next(host.clock()), invocation.request().clientContext(), "", invocation.request().payload()));
        // Bookkeeping after the event is on its way, off the invocation's critical path.
        cell.resetMemoryPeak();
        oomKillsBefore = cell.oomKills();
        host.metrics().started(invocation.cold());
        deadlineNanos = host.ticker().getAsLong() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        if (timeoutCheck == null) {
            timeoutCheck = loop.schedule(this::timeoutDue, timeoutMs, TimeUnit.MILLISECONDS);
        }
    }

    // ---- the Runtime API ----------------------------------------------------------------------

    @Override
    public void next(NextWaiter next) {
        if (state.isEnding()) {
            next.reject(Reply.containerError("the environment is shutting down"));
            return;
        }
        if (waiter != null && waiter.isOpen()) {
            next.reject(Reply.forbidden("InvalidStateTransition", "a request for the next invocation is already waiting"));
            return;
        }
        switch (state) {
            case INITIALIZING -> {
                cancel(initTimer);
                long initNanos = host.ticker().getAsLong() - spawnedNanos;
                initDurationMs = initNanos / 1e6;
                host.metrics().initialized(initNanos);
                become(EnvironmentState.IDLE);
                waiter = next;
                if (pending != null && !pending.provisioning()) {
                    deliver(pending);
                } else {
                    Invocation provisioning = pending;
                    pending = null;
                    pool.released(this, invocations, initDurationMs);
                    freezer.idle();
                    if (provisioning != null) {
                        provisioning.complete(meter.provisioned(provisioning, initDurationMs));
                    }
                }
            }
            case BUSY -> next.reject(Reply.forbidden("InvalidStateTransition",
                    "invocation " + current.requestId() + " has no response or error yet"));
            case FINISHING -> {
                current = null;
                become(EnvironmentState.IDLE);
                waiter = next;
                pool.released(this, invocations, initDurationMs);
                freezer.idle();
            }
            case IDLE, FROZEN -> waiter = next;
            default -> next.reject(Reply.forbidden("InvalidStateTransition", "the runtime has not started"));
        }
    }

    @Override
    public Reply response(String requestId, byte[] body) {
        Reply refusal = checkAnswerable(requestId);
        if (refusal != null) {
            return refusal;
        }
        become(EnvironmentState.FINISHING);
        if (!failedForMemory()) {
            finish(current, body, "", "");
        }
        return Reply.ACCEPTED;
    }

    @Override
    public void streamStarted(String requestId, dev.floe.worker.runtimeapi.ReadGate reads) {
        if (!expects(requestId)) {
            return;
        }
        ResponseStream chunks = current.request().chunks();
        if (chunks != null) {
            chunks.started(reads);
        } else {
            streamedBody = new java.io.ByteArrayOutputStream();
        }
    }

    @Override
    public void streamChunk(String requestId, byte[] chunk) {
        if (!expects(requestId)) {
            return;
        }
        ResponseStream chunks = current.request().chunks();
        if (chunks != null) {
            chunks.chunk(chunk);
        } else if (streamedBody != null) {
            streamedBody.writeBytes(chunk);
        }
    }

    @Override
    public Reply streamEnded(String requestId, String errorType, byte[] errorBody) {
        Reply refusal = checkAnswerable(requestId);
        if (refusal != null) {
            return refusal;
        }
        become(EnvironmentState.FINISHING);
        byte[] body = streamedBody == null ? new byte[0] : streamedBody.toByteArray();
        streamedBody = null;
        if (!failedForMemory()) {
            if (errorType.isEmpty()) {
                finish(current, body, "", "");
            } else {
                String type = Failures.errorTypeOf(errorBody, errorType);
                finish(current, Failures.errorBody(errorBody, type), Failures.UNHANDLED, type);
            }
        }
        return Reply.ACCEPTED;
    }

    /**
     * Whether a process of the environment was killed for memory during the invocation (the runtime
     * may survive a child's death): as in Lambda, exceeding the memory size fails the invocation with
     * Runtime.OutOfMemory and ends the environment.
     */
    private boolean failedForMemory() {
        if (cell == null || cell.oomKills() <= oomKillsBefore) {
            return false;
        }
        String message = Failures.exited(current.requestId(), "signal: killed");
        finish(current, Failures.document(Failures.OUT_OF_MEMORY, message), Failures.UNHANDLED, Failures.OUT_OF_MEMORY);
        loop.execute(() -> retireNow(RetireReason.OUT_OF_MEMORY));
        return true;
    }

    @Override
    public Reply error(String requestId, String errorType, byte[] body) {
        Reply refusal = checkAnswerable(requestId);
        if (refusal != null) {
            return refusal;
        }
        become(EnvironmentState.FINISHING);
        if (!failedForMemory()) {
            String type = Failures.errorTypeOf(body, errorType);
            finish(current, Failures.errorBody(body, type), Failures.UNHANDLED, type);
        }
        return Reply.ACCEPTED;
    }

    @Override
    public Reply initError(String errorType, byte[] body) {
        if (state != EnvironmentState.INITIALIZING) {
            return Reply.forbidden("InvalidStateTransition", "init/error is only accepted during the init phase");
        }
        String type = Failures.errorTypeOf(body, errorType);
        // The runtime should exit after reporting; the environment is retired either way.
        loop.execute(() -> failInit(type, Failures.errorBody(body, type), RetireReason.INIT_ERROR));
        return Reply.ACCEPTED;
    }

    @Override
    public void responseTooLarge(String requestId, long limitBytes) {
        if (current != null && state == EnvironmentState.BUSY && current.requestId().equals(requestId)) {
            become(EnvironmentState.FINISHING);
            String message = "Response payload size exceeded maximum allowed payload size (" + limitBytes + " bytes).";
            finish(current, Failures.document(Failures.RESPONSE_TOO_LARGE, message), Failures.UNHANDLED,
                    Failures.RESPONSE_TOO_LARGE);
        }
    }

    @Override
    public boolean expectsInitError() {
        return state == EnvironmentState.INITIALIZING;
    }

    @Override
    public boolean expects(String requestId) {
        return current != null && state == EnvironmentState.BUSY && current.requestId().equals(requestId);
    }

    @Override
    public void waiterGone(NextWaiter gone) {
        if (waiter == gone) {
            waiter = null;
        }
    }

    private Reply checkAnswerable(String requestId) {
        if (state.isEnding()) {
            return Reply.containerError("the environment is shutting down");
        }
        if (current == null || !current.requestId().equals(requestId)) {
            return Reply.badRequest("InvalidRequestID", "no invocation " + requestId + " is running in this environment");
        }
        if (state == EnvironmentState.FINISHING) {
            return Reply.forbidden("InvalidStateTransition", "invocation " + requestId + " was already answered");
        }
        return null;
    }

    // ---- ends of invocations ------------------------------------------------------------------

    /** Completes {@code invocation} with what the caller sees, and writes END and REPORT. */
    private void finish(Invocation invocation, byte[] payload, String functionError, String errorType) {
        InvocationResult result = meter.finished(invocation, payload, functionError, errorType, initDurationMs, cell, log);
        // The pool heard of the answer (FINISHING) before the caller: the caller's next invocation may then wait for this environment.
        invocation.complete(result);
    }

    /**
     * The invocation's deadline may have come: time it out, or look again at its deadline. As in
     * Lambda, the timeout covers the whole invoke phase, until the runtime asks for the next
     * invocation: a runtime that answered but keeps working past it is stopped too.
     */
    private void timeoutDue() {
        timeoutCheck = null;
        if (current == null) {
            return;
        }
        long left = deadlineNanos - host.ticker().getAsLong();
        if (left > 0) {
            timeoutCheck = loop.schedule(this::timeoutDue, left, TimeUnit.NANOSECONDS);
        } else if (state == EnvironmentState.BUSY) {
            timedOut();
        } else {
            log.timedOut(host.clock().instant(), current.requestId(), function.getConfig().getTimeoutSeconds());
            retireNow(RetireReason.TIMEOUT);
        }
    }

    private void timedOut() {
        if (current == null || state != EnvironmentState.BUSY) {
            return;
        }
        become(EnvironmentState.FINISHING);
        double seconds = function.getConfig().getTimeoutSeconds();
        log.timedOut(host.clock().instant(), current.requestId(), seconds);
        String message = Failures.timedOut(current.requestId(), seconds);
        finish(current, Failures.document(Failures.TIMED_OUT, message), Failures.UNHANDLED, Failures.TIMED_OUT);
        retireNow(RetireReason.TIMEOUT);
    }

    private void initTimedOut() {
        if (state != EnvironmentState.INITIALIZING) {
            return;
        }
        String requestId = pending == null ? "" : pending.requestId();
        String message = "RequestId: " + requestId + " Error: Init phase timed out after "
                + String.format(java.util.Locale.ROOT, "%.2f", host.initTimeout().toMillis() / 1000.0) + " seconds";
        failInit(Failures.TIMED_OUT, Failures.document(Failures.TIMED_OUT, message), RetireReason.INIT_TIMEOUT);
    }

    /** The runtime process ended; unless we retired it, that is a crash. */
    private void exited() {
        if (state.isEnding()) {
            return;
        }
        boolean oom = cell != null && cell.oomKills() > oomKillsBefore;
        String type = oom ? Failures.OUT_OF_MEMORY : Failures.EXIT_ERROR;
        String exit = Failures.describeExit(process.exitValue());
        if (state == EnvironmentState.INITIALIZING || state == EnvironmentState.STARTING) {
            String requestId = pending == null ? "" : pending.requestId();
            failInit(type, Failures.document(type, Failures.exited(requestId, exit)), oom ? RetireReason.OUT_OF_MEMORY : RetireReason.EXITED);
            return;
        }
        if (current != null && state == EnvironmentState.BUSY) {
            become(EnvironmentState.FINISHING);
            finish(current, Failures.document(type, Failures.exited(current.requestId(), exit)), Failures.UNHANDLED, type);
        }
        retireNow(oom ? RetireReason.OUT_OF_MEMORY : RetireReason.EXITED);
    }

    /** The init phase failed: the first invocation fails with the init error, and the environment retires. */
    private void failInit(String errorType, byte[] document, RetireReason reason) {
        if (state.isEnding()) {
            return;
        }
        Invocation first = pending;
        pending = null;
        if (first != null && !first.isDone()) {
            first.complete(meter.initFailed(first, document, errorType, spawnedNanos, log));
        }
        retireNow(reason);
    }

    /** Fetching the code and preparing the sandbox took too long: the invocation fails, and nothing is left running. */
    private void startTimedOut() {
        if (state == EnvironmentState.STARTING) {
            failStart(new FloeException(ErrorType.SERVICE, "the environment for " + function.getName()
                    + " did not start within " + readable(host.startTimeout()) + " (fetching its code, preparing its sandbox)"));
        }
    }

    private void failStart(FloeException failure) {
        if (pending != null) {
            pending.fail(failure);
            pending = null;
        }
        LOG.log(System.Logger.Level.WARNING, "environment " + id + " of " + function.getName() + " failed to start: "
                + failure.getMessage());
        retireNow(RetireReason.START_FAILED);
    }

    // ---- retirement ---------------------------------------------------------------------------

    /** Retires the environment: kills every process in it and releases what it holds. */
    void retire(RetireReason reason) {
        loop.execute(() -> retireNow(reason));
    }

    private void retireNow(RetireReason reason) {
        if (state.isEnding()) {
            return;
        }
        retireReason = reason;
        freezer.cancel();
        cancel(timeoutCheck);
        cancel(initTimer);
        cancel(startTimer);
        FloeException gone = new FloeException(ErrorType.SERVICE_UNAVAILABLE,
                "the environment running the invocation was retired (" + reason + ")");
        for (Invocation left : new Invocation[] {pending, current}) {
            if (left != null && !left.isDone()) {
                left.fail(gone);
            }
        }
        pending = null;
        current = null;
        if (waiter != null) {
            waiter.reject(Reply.containerError("the environment is shutting down"));
            waiter = null;
        }
        become(EnvironmentState.RETIRING);
        host.metrics().retired(reason);
        cleanUp();
    }

    /**
     * Releases whatever the environment holds so far; runs again as late resources arrive. While
     * the runtime is being launched it waits for the launch: the process must be killed with its cell.
     */
    private void cleanUp() {
        if (launching) {
            // What already runs in the cell dies now (the launch then ends, and the rest is released
            // when it does); the stray audit catches a launch that never ends.
            Cell c = cell;
            if (c != null) {
                CompletableFuture.runAsync(c::killAll, host.blocking());
            }
            return;
        }
        Cell c = cell;
        TmpVolume t = tmp;
        EnvironmentLog l = log;
        RuntimeApiServer.Binding e = endpoint;
        CodeCache.Lease k = code;
        Process p = process;
        Path d = dir;
        cell = null;
        tmp = null;
        log = null;
        endpoint = null;
        code = null;
        if (e != null) {
            e.close();
        }
        pool.cleanupStarted(this);
        CompletableFuture.runAsync(() -> {
            if (c != null) {
                c.killAll();
                if (p != null) {
                    // The launcher is outside the cgroups; killing it also kills the environment's PID
                    // namespace (its init dies with it), and it must end even if a signal freezer stopped it.
                    p.destroyForcibly();
                    try {
                        p.onExit().get(5, TimeUnit.SECONDS);
                    } catch (Exception timeout) {
                        LOG.log(System.Logger.Level.WARNING, "runtime of " + id + " did not exit after SIGKILL");
                    }
                }
                c.close();
            }
            closeQuietly(t);
            closeQuietly(l);
            if (k != null) {
                k.close();
            }
        }, host.blocking()).whenComplete((ok, failure) -> {
            pool.cleanedUp(this, d);
            loop.execute(this::cleanedUp);
        });
    }

    /** A clean-up finished: the first one after the retirement leaves nothing of the environment (see {@link #cleanUp}). */
    private void cleanedUp() {
        if (state == EnvironmentState.RETIRING) {
            become(EnvironmentState.RETIRED);
        }
    }

    private void become(EnvironmentState next) {
        EnvironmentState previous = state;
        state = state.to(next);
        since = host.clock().instant();
        host.metrics().transition(previous, next);
        pool.changed(this, previous, snapshot());
    }

    EnvironmentState state() {
        return state;
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "closing " + closeable + ": " + e.getMessage());
        }
    }

    private static String readable(java.time.Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    private static String rootMessage(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException
                || t instanceof java.io.UncheckedIOException || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    @Override
    public String toString() {
        return "Environment[" + id + " " + function.getName() + "#" + function.getRevision() + "]";
    }
}
