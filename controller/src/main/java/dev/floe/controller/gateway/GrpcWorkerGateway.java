package dev.floe.controller.gateway;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.controller.gateway.WorkerCallException.Outcome;
import dev.floe.controller.invoke.ChunkSink;
import dev.floe.controller.registry.FleetSubscriber;
import dev.floe.controller.registry.WorkerConnection;
import dev.floe.controller.registry.WorkerInfo;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.ProvisionRequest;
import dev.floe.proto.ProvisionResponse;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The workers reached over gRPC. A subscriber of the fleet view: a channel to a worker's
 * {@code WorkerInvoker} is opened when the worker joins and shut down gracefully when it leaves, so calls
 * in flight still get their answers; a worker that fell silent fails its calls in flight at once
 * ({@link Outcome#MAY_HAVE_RUN}) rather than when their deadlines pass. Retirements go on each worker's
 * link, the stream it registered over.
 *
 * <p>Calls use the asynchronous stub: the calling thread returns at once and the answer completes the
 * future on a gRPC callback thread. Transport failures become outcomes here ({@link #outcome}).
 */
public final class GrpcWorkerGateway implements WorkerGateway, FleetSubscriber, AutoCloseable {
    /** How long a worker may take to answer a provisioning call. */
    static final Duration PROVISION_DEADLINE = Duration.ofSeconds(10);

    /** Opens a channel to a worker's {@code WorkerInvoker} service. */
    public interface ChannelOpener {
        ManagedChannel open(HostPort address);
    }

    /** One connected worker: its channel, its link, and the calls in flight to it. */
    private static final class Peer {
        final String id;
        final ManagedChannel channel;
        final WorkerConnection link;
        /** Each call in flight, with what fails it when the worker is lost. */
        final Map<CompletableFuture<?>, Consumer<String>> calls = new ConcurrentHashMap<>();

        Peer(String id, ManagedChannel channel, WorkerConnection link) {
            this.id = id;
            this.channel = channel;
            this.link = link;
        }
    }

    private final ChannelOpener opener;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    /** Channels of workers that left, shut down but possibly still finishing calls. */
    private final Queue<ManagedChannel> leaving = new ConcurrentLinkedQueue<>();

    public GrpcWorkerGateway(ChannelOpener opener) {
        this.opener = opener;
    }

    // ---- the fleet view's changes ---------------------------------------------------------------

    @Override
    public void workerJoined(WorkerInfo worker, WorkerConnection link) {
        // Building a channel connects nothing yet: cheap enough for the view's lock.
        Peer previous = peers.put(worker.id(), new Peer(worker.id(), opener.open(worker.address()), link));
        if (previous != null) {
            retireChannel(previous);
        }
    }

    @Override
    public void workerLeft(String workerId, Departure departure, String reason) {
        Peer peer = peers.remove(workerId);
        if (peer == null) {
            return;
        }
        if (departure == Departure.SILENT) {
            // Nothing more will come from it: its callers learn now, not when the function's timeout passes.
            for (Consumer<String> lost : List.copyOf(peer.calls.values())) {
                lost.accept(reason);
            }
        }
        retireChannel(peer);
    }

    private void retireChannel(Peer peer) {
        peer.channel.shutdown();
        leaving.removeIf(ManagedChannel::isTerminated);
        leaving.add(peer.channel);
    }

    // ---- calls ----------------------------------------------------------------------------------

    @Override
    public CompletableFuture<InvokeResponse> invoke(String workerId, WorkerInvokeRequest request, Deadline deadline) {
        return call(workerId, WorkerInvokerGrpc.getInvokeMethod(), request, deadline, message -> message);
    }

    /**
     * Flow control: the call asks the worker for {@link ReadAhead#PIECES} messages ahead of {@code chunks},
     * and for one more each time {@code chunks} took one, so the controller holds at most that many pieces
     * of a stream besides what HTTP/2's window lets the worker send ahead ({@code Controller}'s worker
     * channels fix it at 1 MB). The answer completes once {@code chunks} took every piece.
     */
    @Override
    public CompletableFuture<InvokeResponse> invokeStream(String workerId, WorkerInvokeRequest request, Deadline deadline,
                                                          ChunkSink chunks) {
        ReadAheadAnswer answer = new ReadAheadAnswer(chunks);
        CompletableFuture<InvokeResponse> call = call(workerId, WorkerInvokerGrpc.getInvokeStreamMethod(), request, deadline, answer);
        return answer.answered(call);
    }

    @Override
    public CompletableFuture<Integer> provision(String workerId, Function function, int count) {
        Peer peer = peers.get(workerId);
        if (peer == null) {
            return CompletableFuture.failedFuture(left(workerId));
        }
        ProvisionRequest request = ProvisionRequest.newBuilder().setFunction(function).setCount(count).build();
        CompletableFuture<Integer> held = new CompletableFuture<>();
        var future = WorkerInvokerGrpc.newFutureStub(peer.channel)
                .withDeadlineAfter(PROVISION_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).provision(request);
        future.addListener(() -> {
            try {
                ProvisionResponse response = future.get();
                held.complete(response.getHeld());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                held.completeExceptionally(e);
            } catch (java.util.concurrent.ExecutionException e) {
                held.completeExceptionally(outcome(e.getCause(), workerId, "the provisioning of " + function.getName()));
            }
        }, Runnable::run);
        return held;
    }

    @Override
    public void retire(String function, Set<String> keepRevisionIds) {
        for (Peer peer : peers.values()) {
            peer.link.retireFunction(function, keepRevisionIds);
        }
    }

    /** Starts a call whose messages {@code answer} reads; the future fails with a {@link WorkerCallException}. */
    private <T> CompletableFuture<InvokeResponse> call(String workerId, io.grpc.MethodDescriptor<WorkerInvokeRequest, T> method,
            WorkerInvokeRequest request, Deadline deadline, InvocationCalls.Answer<T> answer) {
        Peer peer = peers.get(workerId);
        if (peer == null) {
            // It left between placement and the call: as good as unreachable, so the invocation is placed again.
            return CompletableFuture.failedFuture(left(workerId));
        }
        // What the call is, for an error message: made only when one is needed, not on every call.
        java.util.function.Supplier<String> what = () -> "invocation " + request.getRequestId() + " of " + request.getFunction().getName();
        CompletableFuture<InvokeResponse> result = InvocationCalls.start(peer.channel, method, request, deadline, answer,
                (failure, sent) -> outcome(failure, workerId, what.get(), sent),
                () -> WorkerCallException.of(Outcome.FAILED, ErrorType.SERVICE, "worker " + workerId + " ended the call without an answer"));
        peer.calls.put(result, why -> result.completeExceptionally(WorkerCallException.of(Outcome.MAY_HAVE_RUN,
                ErrorType.SERVICE_UNAVAILABLE, "worker " + workerId + " was lost while running " + what.get() + " (" + why
                        + "); it may or may not have run: retry it if that is safe")));
        result.whenComplete((r, failure) -> peer.calls.remove(result));
        return result;
    }

    private static WorkerCallException left(String workerId) {
        return WorkerCallException.of(Outcome.UNREACHABLE, ErrorType.SERVICE_UNAVAILABLE, "worker " + workerId + " left the fleet");
    }

    /** As {@link #outcome(Throwable, String, String, boolean)} for a call whose request did not reach the connection. */
    static WorkerCallException outcome(Throwable failure, String workerId, String what) {
        return outcome(failure, workerId, what, false);
    }

    /**
     * What a failed call to a worker came to. The worker's own refusals carry a Floe error type in their
     * trailers; a transport failure carries none, and then what is known depends on {@code sent}, whether
     * the request was written to the worker's connection: if not, the worker could not be reached and
     * the invocation did not run; if so, the worker (a process killed, a connection cut) may have started
     * it. {@code what} names the work, e.g. "invocation R of F".
     */
    static WorkerCallException outcome(Throwable failure, String workerId, String what, boolean sent) {
        if (failure instanceof WorkerCallException w) {
            return w;
        }
        Status status = Status.fromThrowable(failure);
        boolean typed = carriesErrorType(failure);
        FloeException floe = FloeException.fromThrowable(failure);
        if (typed && floe.type() == ErrorType.ENVIRONMENT_GONE) {
            return new WorkerCallException(Outcome.GONE, floe);
        }
        if (floe.type() == ErrorType.WORKER_FULL) {
            return new WorkerCallException(Outcome.FULL, floe);
        }
        // Cancelled by the worker's side (a server stopping), not by us: our own cancel completes the invocation first.
        boolean cut = status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.CANCELLED;
        if (cut && !typed && sent) {
            return new WorkerCallException(Outcome.MAY_HAVE_RUN, new FloeException(ErrorType.SERVICE_UNAVAILABLE,
                    "worker " + workerId + " was lost while running " + what + " (" + floe.getMessage()
                            + "); it may or may not have run: retry it if that is safe", failure));
        }
        if (status.getCode() == Status.Code.UNAVAILABLE && !typed) {
            return new WorkerCallException(Outcome.UNREACHABLE, floe);
        }
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            return new WorkerCallException(Outcome.MAY_HAVE_RUN, new FloeException(ErrorType.SERVICE_UNAVAILABLE,
                    "worker " + workerId + " did not answer " + what + " before its deadline", failure));
        }
        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && !typed) {
            // gRPC's own limits (e.g. a message over the worker's maximum size), not a full worker:
            // retrying later would not help, so it must not read as TooManyRequestsException.
            return new WorkerCallException(Outcome.FAILED, new FloeException(ErrorType.SERVICE,
                    "worker " + workerId + " could not take " + what + ": " + floe.getMessage(), failure));
        }
        // An UNAVAILABLE the worker itself sent (the environment running it was retired) means it may have run.
        return new WorkerCallException(status.getCode() == Status.Code.UNAVAILABLE ? Outcome.MAY_HAVE_RUN : Outcome.FAILED, floe);
    }

    private static boolean carriesErrorType(Throwable failure) {
        Metadata trailers = Status.trailersFromThrowable(failure);
        return trailers != null && trailers.containsKey(FloeException.ERROR_TYPE_KEY);
    }

    /** Shuts down every channel, giving calls in flight {@code grace} to finish. */
    public void close(Duration grace) {
        List<ManagedChannel> channels = new ArrayList<>(leaving);
        for (Peer peer : List.copyOf(peers.values())) {
            peer.channel.shutdown();
            channels.add(peer.channel);
        }
        peers.clear();
        leaving.clear();
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            for (ManagedChannel channel : channels) {
                channel.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** A streamed invocation's messages read a few pieces ahead of the sink ({@link ReadAhead}). */
    private static final class ReadAheadAnswer implements InvocationCalls.Answer<InvokeStreamMessage> {
        private final ChunkSink chunks;
        private volatile ReadAhead ahead;

        ReadAheadAnswer(ChunkSink chunks) {
            this.chunks = chunks;
        }

        @Override
        public void beforeStart(io.grpc.stub.ClientCallStreamObserver<?> call) {
            call.disableAutoRequestWithInitial(ReadAhead.PIECES);
            ahead = new ReadAhead(chunks, call::request);
        }

        @Override
        public InvokeResponse in(InvokeStreamMessage message) {
            if (message.hasDone()) {
                ahead.ended();
                return message.getDone();
            }
            ahead.arrived(message.getChunk());
            return null;
        }

        /** The call's answer once the sink took every piece; cancelling it cancels the call. */
        CompletableFuture<InvokeResponse> answered(CompletableFuture<InvokeResponse> call) {
            CompletableFuture<InvokeResponse> answered = call.handle((answer, failure) -> {
                if (failure == null) {
                    return ahead.drained().thenApply(taken -> answer);
                }
                if (ahead != null) {
                    ahead.failed(); // before the failure reaches the caller, so that no piece follows it
                }
                return CompletableFuture.<InvokeResponse>failedFuture(failure);
            }).thenCompose(answer -> answer);
            answered.whenComplete((r, failure) -> {
                if (answered.isCancelled()) {
                    call.cancel(false);
                }
            });
            return answered;
        }
    }
}
