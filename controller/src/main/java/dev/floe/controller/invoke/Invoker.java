package dev.floe.controller.invoke;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.gateway.WorkerCallException;
import dev.floe.controller.gateway.WorkerGateway;
import dev.floe.controller.placement.FleetSnapshot;
import dev.floe.controller.placement.Placement;
import dev.floe.controller.placement.PlacementRequest;
import dev.floe.controller.placement.WorkerCapacity;
import dev.floe.controller.registry.FleetView;
import dev.floe.controller.registry.WarmPromise;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.WorkerInvokeRequest;
import io.grpc.Deadline;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs synchronous invocations on the fleet. Each one is placed, sent to the chosen worker through the
 * {@link WorkerGateway}, and placed again (never on a worker that already refused it) when the gateway
 * answers that nothing ran there (the worker is full, its warm environment is gone, it cannot be
 * reached), at most once per connected worker. No thread waits for a worker: each answer continues the
 * invocation on the thread that delivered it.
 *
 * <p>A worker that was unreachable may, in rare cases, have started the invocation before its
 * connection broke, so a function can run twice; Lambda gives the same advice for its retries:
 * make functions idempotent.
 */
public final class Invoker {
    /** The longest a runtime's init phase may take before the worker gives up on a cold start, as Lambda's 10 s. */
    static final long INIT_ALLOWANCE_S = 10;
    /** Time for the worker to report and the answer to travel. */
    static final long SLACK_S = 5;
    /**
     * How many times an invocation is placed again after workers answer that the warm environment it
     * was placed on is gone: a race with retirement is rare, so more in a row means the view lags.
     */
    static final int MAX_GONE = 3;

    private final FunctionCatalog functions;
    private final FleetView fleet;
    private final Placement placement;
    private final WorkerGateway workers;
    private final InvokeMetrics metrics;
    private final Admission admission;
    private volatile Forwarding forwarding = Forwarding.NONE;

    public Invoker(FunctionCatalog functions, FleetView fleet, Placement placement, WorkerGateway workers,
            InvokeMetrics metrics, Admission admission) {
        this.functions = functions;
        this.fleet = fleet;
        this.placement = placement;
        this.workers = workers;
        this.metrics = metrics;
        this.admission = admission;
    }

    /** Where calls of functions another controller owns go (a cluster of controllers); default: nowhere, all run here. */
    public void forwarding(Forwarding forwarding) {
        this.forwarding = forwarding;
    }

    /** The worker's answer, with worker, function and revision set; fails with a {@link FloeException}. */
    public CompletableFuture<InvokeResponse> invoke(InvokeCall call) {
        return invoke(call, null);
    }

    /**
     * As {@link #invoke(InvokeCall)}, passing a streamed response's pieces to {@code chunks} at the pace
     * it takes them (a response in one piece is one chunk); the answer then holds only the metadata, or the
     * error document. A worker that refuses or cannot be reached has sent nothing, so placing the
     * invocation again never repeats a piece. Once the result is done (its caller cancelled), the rest of
     * the stream is read and dropped ({@link ChunkDrain}).
     */
    public CompletableFuture<InvokeResponse> invoke(InvokeCall call, ChunkSink chunks) {
        CompletableFuture<InvokeResponse> forwarded = chunks == null ? forwarding.forward(call) : null;
        return forwarded != null ? forwarded : invokeHere(call, chunks);
    }

    /** As {@link #invoke(InvokeCall, ChunkSink)}, placed by this controller whoever owns the function (a call forwarded to it). */
    public CompletableFuture<InvokeResponse> invokeHere(InvokeCall call, ChunkSink chunks) {
        Outcome result = new Outcome(metrics.start());
        try {
            // The revision the qualifier names, chosen now: placement, warm affinity and retries all
            // follow its revision_id, so each revision keeps its own environments.
            Function function = functions.resolve(call.function(), call.qualifier());
            result.function = function.getName();
            if (call.payload().size() > FunctionLimits.PAYLOAD_MAX_BYTES) {
                throw new FloeException(ErrorType.REQUEST_TOO_LARGE, "payload: " + call.payload().size()
                        + " bytes (expected: at most " + FunctionLimits.PAYLOAD_MAX_BYTES + ")");
            }
            int connected = fleet.size();
            if (connected == 0) {
                throw new FloeException(ErrorType.SERVICE_UNAVAILABLE,
                        "no worker is connected to run " + function.getName() + "; start a worker and retry");
            }
            WorkerInvokeRequest request = WorkerInvokeRequest.newBuilder()
                    .setFunction(function)
                    .setRequestId(UUID.randomUUID().toString())
                    .setPayload(call.payload())
                    .setTailLog(call.tailLog())
                    .setClientContext(call.clientContext())
                    .build();
            long budgetS = function.getConfig().getTimeoutSeconds() + INIT_ALLOWANCE_S + SLACK_S;
            // The worker call lasts as long as the function may run, whatever the caller's deadline: a caller
            // that stops waiting does not stop the function, and the call's end is how the controller learns
            // that the function returned. Waiting for room stops at the caller's deadline.
            Deadline workerDeadline = Deadline.after(budgetS, TimeUnit.SECONDS);
            Deadline until = call.callerDeadline() == null ? workerDeadline : workerDeadline.minimum(call.callerDeadline());
            long waitEnds = System.nanoTime() + admission.limits().maxWait().toNanos();
            admission.admit(function.getName()).whenComplete((permit, refused) -> {
                if (refused != null) {
                    result.completeExceptionally(unwrap(refused));
                } else if (result.isDone()) {
                    permit.release(); // cancelled while it waited
                } else {
                    new Attempts(function, request, workerDeadline, until, connected, waitEnds, result, permit, chunks).next();
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /**
     * An invocation's result, which records its meters before anyone waiting on it can see it, so
     * a caller that reads the meters after its answer finds its invocation counted.
     */
    private final class Outcome extends CompletableFuture<InvokeResponse> {
        private final Timer.Sample sample;
        private final AtomicBoolean finished = new AtomicBoolean();
        /** The function's name once resolved: a name that names no function does not become a series. */
        private volatile String function = "";

        Outcome(Timer.Sample sample) {
            this.sample = sample;
        }

        @Override
        public boolean complete(InvokeResponse response) {
            return finish(outcome(response, null)) && super.complete(response);
        }

        @Override
        public boolean completeExceptionally(Throwable failure) {
            return finish(outcome(null, failure)) && super.completeExceptionally(failure);
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            return finish("cancelled") && super.cancel(mayInterrupt);
        }

        /** Records the meters, once: only the first of racing completions goes on to complete the future. */
        private boolean finish(String outcome) {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            metrics.finished(sample, outcome, function);
            return true;
        }
    }

    /**
     * One invocation's way through the fleet. It holds its concurrency slot until both its result is
     * done and no worker call is in flight: a caller that cancels gets its answer at once, but the
     * function runs on (Lambda's behaviour) and keeps counting toward the function's concurrency until
     * its worker answers, fails or is lost.
     */
    private final class Attempts {
        private final Function function;
        private final WorkerInvokeRequest request;
        /** {@link #request} with warm_only set, once placed warm. */
        private WorkerInvokeRequest warmRequest;
        /** The worker call's: as long as the function may run. */
        private final Deadline workerDeadline;
        /** The caller's, or the worker call's if earlier: waiting for room ends there. */
        private final Deadline deadline;
        private final int maxAttempts;
        private final CompletableFuture<InvokeResponse> result;
        /** When waiting for room in a full fleet must end ({@link System#nanoTime()}). */
        private final long waitEnds;
        private final Set<String> tried = new LinkedHashSet<>();
        /** The tried workers that said they were full, rather than being unreachable: worth trying again after a wait. */
        private final Set<String> full = new LinkedHashSet<>();
        /** Whether it already waited for room, so it goes back to the head of the queue. */
        private boolean waited;
        /** How many workers answered that the warm environment placed on was gone. */
        private int gone;
        /**
         * The workers that answered that the warm environment placed on was gone, not yet asked again
         * without it. Such a worker is busy, not unreachable: when no other worker is left to try, the
         * invocation goes back to it as a plain one, which takes an environment as one frees up there or
         * starts a new one, or is refused as full and waits for room.
         */
        private final Set<String> goneOn = new LinkedHashSet<>();
        /** Where a streamed response goes, read to its end even once its caller is gone; null for a whole answer. */
        private final ChunkDrain drain;
        private final ChunkSink chunks;
        private final Admission.Permit permit;
        /** Guarded by this: a worker call is in flight; the result is done. */
        private boolean calling;
        private boolean ended;

        Attempts(Function function, WorkerInvokeRequest request, Deadline workerDeadline, Deadline deadline, int maxAttempts,
                long waitEnds, CompletableFuture<InvokeResponse> result, Admission.Permit permit, ChunkSink chunks) {
            this.drain = chunks == null ? null : new ChunkDrain(chunks);
            this.chunks = drain == null ? null : metrics.counted(drain, result);
            this.function = function;
            this.request = request;
            this.workerDeadline = workerDeadline;
            this.deadline = deadline;
            this.maxAttempts = Math.max(1, maxAttempts);
            this.waitEnds = waitEnds;
            this.result = result;
            this.permit = permit;
            result.whenComplete((r, failure) -> {
                if (drain != null) {
                    drain.callerGone();
                }
                boolean release;
                synchronized (this) {
                    ended = true;
                    release = !calling;
                }
                if (release) {
                    permit.release();
                }
            });
        }

        /** Whether a worker call may start: not once the result is done (the caller left while it waited). */
        private synchronized boolean startCall() {
            if (ended) {
                return false;
            }
            calling = true;
            return true;
        }

        /** The worker call ended: the slot goes back if the result is done too. */
        private void callEnded() {
            boolean release;
            synchronized (this) {
                calling = false;
                release = ended;
            }
            if (release) {
                permit.release();
            }
        }

        void next() {
            if (result.isDone()) {
                return;
            }
            if (tried.size() >= maxAttempts) {
                if (againWithoutWarm()) {
                    return;
                }
                if (!full.isEmpty()) {
                    waitForRoom(fleetFull());
                    return;
                }
                result.completeExceptionally(new FloeException(ErrorType.SERVICE_UNAVAILABLE,
                        "no worker could be reached to run " + function.getName() + " (tried " + String.join(", ", tried)
                                + "); retry later"));
                return;
            }
            String revisionId = function.getRevisionId();
            int memoryMb = function.getConfig().getMemoryMb();
            Optional<FleetView.Placed> placed = fleet.place(placement,
                    new PlacementRequest(revisionId, function.getName(), memoryMb, tried));
            if (placed.isEmpty()) {
                if (againWithoutWarm()) {
                    return;
                }
                FloeException refusal = tried.isEmpty() ? noRoom(fleet.snapshot(revisionId)) : fleetFull();
                if (refusal.retryAfter().isPresent()) {
                    waitForRoom(refusal);
                } else {
                    metrics.notPlaced();
                    result.completeExceptionally(refusal);
                }
                return;
            }
            send(placed.get().decision().workerId(), placed.get().decision().kind(), placed.get().promise());
        }

        /** Sends the invocation, not bound to a warm environment, to a worker that said its warm one was gone. */
        private boolean againWithoutWarm() {
            var first = goneOn.iterator();
            if (!first.hasNext()) {
                return false;
            }
            String workerId = first.next();
            first.remove();
            send(workerId, Placement.Kind.COLD, null);
            return true;
        }

        private void send(String workerId, Placement.Kind kind, WarmPromise promise) {
            if (!startCall()) {
                if (promise != null) {
                    promise.release();
                }
                return;
            }
            metrics.placed(new Placement.Decision(workerId, kind), function.getName());
            tried.add(workerId);
            WorkerInvokeRequest sent = kind == Placement.Kind.WARM ? warmOnly() : request;
            CompletableFuture<InvokeResponse> attempt = chunks == null ? workers.invoke(workerId, sent, workerDeadline)
                    : workers.invokeStream(workerId, sent, workerDeadline, chunks);
            attempt.whenComplete((response, failure) -> {
                if (promise != null) {
                    promise.release();
                }
                callEnded();
                if (failure == null) {
                    if (response.getErrorType().isEmpty() && response.getFunctionError().isEmpty()
                            && !response.getEnvironmentId().isEmpty()) {
                        // Its runtime is about to ask for more: the next invocation may go to it before the report.
                        fleet.answered(workerId, response.getEnvironmentId());
                    }
                    result.complete(completed(response, workerId));
                    return;
                }
                WorkerCallException ended = WorkerCallException.from(failure);
                switch (ended.outcome()) {
                    case GONE -> {
                        // Its view may still show the environment until its report arrives: the worker stays
                        // excluded from placement, and is asked again without the environment if no other is left.
                        if (++gone > MAX_GONE) {
                            result.completeExceptionally(new FloeException(ErrorType.SERVICE_UNAVAILABLE, "invocation "
                                    + request.getRequestId() + " of " + function.getName() + " was placed " + gone
                                    + " times on warm environments that were gone by the time it arrived; retry"));
                        } else {
                            goneOn.add(workerId);
                            next();
                        }
                    }
                    case FULL -> {
                        full.add(workerId);
                        next();
                    }
                    case UNREACHABLE -> next();
                    // It may have run, or the worker refused it: whether to run it again is the caller's call.
                    case MAY_HAVE_RUN, FAILED -> result.completeExceptionally(ended.error());
                }
            });
        }

        /**
         * The fleet is full now: waits in the queue for an invocation to end or a worker to gain room, then
         * tries again, the workers that said they were full included; fails with {@code refusal} when the
         * wait ends first.
         */
        private void waitForRoom(FloeException refusal) {
            long left = Math.min(waitEnds - System.nanoTime(), deadline.timeRemaining(TimeUnit.NANOSECONDS));
            boolean again = waited;
            waited = true;
            admission.awaitRoom(function.getName(), java.time.Duration.ofNanos(Math.max(0, left)), again).thenAccept(woken -> {
                if (woken) {
                    tried.removeAll(full);
                    full.clear();
                    next();
                } else {
                    metrics.notPlaced();
                    result.completeExceptionally(refusal);
                }
            });
        }

        /** The request bound to a warm environment, made once however many times it is placed warm. */
        private WorkerInvokeRequest warmOnly() {
            if (warmRequest == null) {
                warmRequest = request.toBuilder().setWarmOnly(true).build();
            }
            return warmRequest;
        }

        private InvokeResponse completed(InvokeResponse response, String workerId) {
            if (!response.getWorkerId().isEmpty() && !response.getFunction().isEmpty() && response.getRevision() != 0
                    && !response.getRequestId().isEmpty()) {
                return response; // as workers answer: no copy
            }
            InvokeResponse.Builder b = response.toBuilder();
            if (b.getWorkerId().isEmpty()) {
                b.setWorkerId(workerId);
            }
            if (b.getFunction().isEmpty()) {
                b.setFunction(function.getName());
            }
            if (b.getRevision() == 0) {
                b.setRevision(function.getRevision());
            }
            if (b.getRequestId().isEmpty()) {
                b.setRequestId(request.getRequestId());
            }
            return b.build();
        }

        private FloeException fleetFull() {
            java.time.Duration retryAfter = admission.limits().maxWait().compareTo(Admission.MIN_RETRY_AFTER) > 0
                    ? admission.limits().maxWait() : Admission.MIN_RETRY_AFTER;
            return new FloeException(ErrorType.TOO_MANY_REQUESTS, "the fleet is full: no worker has room for "
                    + function.getName() + " (" + function.getConfig().getMemoryMb() + " MB) now"
                    + (tried.isEmpty() ? "" : "; tried " + String.join(", ", tried))
                    + "; retry after " + retryAfter.toMillis() + " ms", retryAfter,
                    // The fleet's room is its concurrency: Lambda's nearest limit is the account's.
                    FloeException.CONCURRENCY_REASON);
        }

        /** No worker fits even before any was tried: say whether waiting can help at all. */
        private FloeException noRoom(FleetSnapshot snapshot) {
            int largest = snapshot.workers().stream().mapToInt(WorkerCapacity::memoryMb).max().orElse(0);
            int needMb = function.getConfig().getMemoryMb();
            if (largest < needMb) {
                return new FloeException(ErrorType.TOO_MANY_REQUESTS, "no connected worker can ever hold "
                        + function.getName() + " (" + needMb + " MB; the largest worker budget is " + largest
                        + " MB): retrying will not help until a larger worker joins or the function's memory is lowered");
            }
            return fleetFull();
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String outcome(InvokeResponse response, Throwable failure) {
        if (failure == null) {
            return response.getFunctionError().isEmpty() ? "success" : "function_error";
        }
        Throwable cause = unwrap(failure);
        if (cause instanceof java.util.concurrent.CancellationException) {
            return "cancelled";
        }
        return FloeException.fromThrowable(cause).type().wireName();
    }
}
