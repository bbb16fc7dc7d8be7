package dev.floe.client;

import com.google.protobuf.ByteString;
import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.proto.Alias;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.CreateFunctionRequest;
import dev.floe.proto.DeleteFunctionRequest;
import dev.floe.proto.Environment;
import dev.floe.proto.FleetGrpc;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.FunctionsGrpc;
import dev.floe.proto.GetFunctionRequest;
import dev.floe.proto.GetInvocationRequest;
import dev.floe.proto.InvokeAsyncRequest;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ListDeadLettersRequest;
import dev.floe.proto.ListEnvironmentsRequest;
import dev.floe.proto.ListFunctionsRequest;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.UpdateFunctionRequest;
import dev.floe.proto.Worker;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A connection to a Floe controller. Thread-safe; share one per process. Every method throws
 * {@link FloeException} when Floe refuses the request or cannot be reached.
 */
public final class FloeClient implements AutoCloseable {
    /** Management calls are quick; an invocation may run 15 minutes plus its init phase. */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(60);
    private static final Duration INVOKE_DEADLINE = Duration.ofMinutes(16);

    private final List<HostPort> endpoints;
    private final EventLoopGroup loops;
    private final ManagedChannel channel;
    private final FunctionsGrpc.FunctionsBlockingStub functions;
    private final InvocationsGrpc.InvocationsBlockingStub invocations;
    private final InvocationsGrpc.InvocationsFutureStub invocationsAsync;
    private final FleetGrpc.FleetBlockingStub fleet;

    private FloeClient(List<HostPort> endpoints, ClusterToken token, ClusterTls tls) {
        this.endpoints = List.copyOf(endpoints);
        this.loops = EventLoops.group("floe-client", 1);
        NettyChannelBuilder builder = EndpointList.channel(endpoints);
        if (tls != null) {
            builder.sslContext(tls.clientContext(CertificateRole.CONTROLLER));
        } else {
            builder.usePlaintext();
        }
        this.channel = builder
                .eventLoopGroup(loops).channelType(EventLoops.channelType())
                .maxInboundMessageSize(64 * 1024 * 1024)
                .intercept(token.attach())
                .build();
        this.functions = FunctionsGrpc.newBlockingStub(channel);
        this.invocations = InvocationsGrpc.newBlockingStub(channel);
        this.invocationsAsync = InvocationsGrpc.newFutureStub(channel);
        this.fleet = FleetGrpc.newBlockingStub(channel);
    }

    /** Connects to the controller at {@code endpoint}, sending the cluster's {@code token} with every call. */
    public static FloeClient connect(HostPort endpoint, ClusterToken token) {
        return new FloeClient(List.of(Check.notNull("endpoint", endpoint)), Check.notNull("token", token), null);
    }

    /**
     * Connects to a cluster of controllers: calls go to the first of {@code endpoints} that answers, and to
     * the next when it stops answering (a call in flight on a controller that died fails with
     * ServiceUnavailableException; the next goes to another).
     */
    public static FloeClient connect(List<HostPort> endpoints, ClusterToken token) {
        return new FloeClient(checked(endpoints), Check.notNull("token", token), null);
    }

    /** As {@link #connect(List, ClusterToken)} over TLS: every controller's certificate must name the first endpoint's host. */
    public static FloeClient connect(List<HostPort> endpoints, ClusterToken token, ClusterTls tls) {
        return new FloeClient(checked(endpoints), Check.notNull("token", token), Check.notNull("tls", tls));
    }

    private static List<HostPort> checked(List<HostPort> endpoints) {
        Check.notNull("endpoints", endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints: [] (expected: at least one HOST:PORT)");
        }
        return endpoints;
    }

    /**
     * As {@link #connect(HostPort, ClusterToken)}, over TLS: the controller's certificate must chain to
     * the CA in {@code tls}, name {@code endpoint}'s host and have role {@code controller} (so a worker's
     * cannot stand in for it); this client presents its own if it has one.
     */
    public static FloeClient connect(HostPort endpoint, ClusterToken token, ClusterTls tls) {
        return new FloeClient(List.of(Check.notNull("endpoint", endpoint)), Check.notNull("token", token), Check.notNull("tls", tls));
    }

    /** The first endpoint given. */
    public HostPort endpoint() {
        return endpoints.getFirst();
    }

    public List<HostPort> endpoints() {
        return endpoints;
    }

    /** The controllers of the cluster and the shards each holds ({@code clustered} false for a single controller). */
    public dev.floe.proto.ListControllersResponse controllers() {
        return call(() -> dev.floe.proto.ControllersGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listControllers(dev.floe.proto.ListControllersRequest.getDefaultInstance()));
    }

    public Function createFunction(String name, byte[] codeZip, FunctionConfig config) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .createFunction(CreateFunctionRequest.newBuilder()
                        .setName(name).setCodeZip(ByteString.copyFrom(codeZip)).setConfig(config).build()));
    }

    public Function updateFunction(UpdateFunctionRequest request) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).updateFunction(request));
    }

    public Function getFunction(String name) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getFunction(GetFunctionRequest.newBuilder().setName(name).build()));
    }

    public List<Function> listFunctions() {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listFunctions(ListFunctionsRequest.getDefaultInstance()).getFunctionsList());
    }

    public void deleteFunction(String name) {
        call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .deleteFunction(DeleteFunctionRequest.newBuilder().setName(name).build()));
    }

    /** Every revision of the function, oldest first. */
    public List<Function> listRevisions(String name) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listRevisions(dev.floe.proto.ListRevisionsRequest.newBuilder().setName(name).build()).getRevisionsList());
    }

    public Alias createAlias(dev.floe.proto.CreateAliasRequest request) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).createAlias(request));
    }

    public Alias updateAlias(dev.floe.proto.UpdateAliasRequest request) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).updateAlias(request));
    }

    public Alias getAlias(String function, String alias) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getAlias(dev.floe.proto.GetAliasRequest.newBuilder().setFunction(function).setName(alias).build()));
    }

    /** The function's aliases, by name. */
    public List<Alias> listAliases(String function) {
        return call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listAliases(dev.floe.proto.ListAliasesRequest.newBuilder().setFunction(function).build()).getAliasesList());
    }

    public void deleteAlias(String function, String alias) {
        call(() -> functions.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .deleteAlias(dev.floe.proto.DeleteAliasRequest.newBuilder().setFunction(function).setName(alias).build()));
    }

    /** Runs the function once and waits for its answer; a function error is in the response, not thrown. */
    public InvokeResponse invoke(String function, byte[] payload, boolean tailLog) {
        return invoke(InvokeRequest.newBuilder().setFunction(function).setPayload(ByteString.copyFrom(payload))
                .setTailLog(tailLog).build());
    }

    public InvokeResponse invoke(InvokeRequest request) {
        return call(() -> invocations.withDeadlineAfter(INVOKE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).invoke(request));
    }

    /**
     * Runs the function once, passing its response to {@code chunks} piece by piece as the runtime
     * streams it (a response in one piece is one chunk), and returns the rest of the answer: the
     * metadata, and the error document if the function failed.
     */
    public InvokeResponse invokeStream(InvokeRequest request, java.util.function.Consumer<ByteString> chunks) {
        return call(() -> {
            InvokeResponse done = null;
            var stream = invocations.withDeadlineAfter(INVOKE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).invokeStream(request);
            while (stream.hasNext()) {
                dev.floe.proto.InvokeStreamMessage message = stream.next();
                if (message.hasDone()) {
                    done = message.getDone();
                } else {
                    chunks.accept(message.getChunk());
                }
            }
            if (done == null) {
                throw new FloeException(dev.floe.common.ErrorType.SERVICE, "the invocation's stream ended without its answer");
            }
            return done;
        });
    }

    /** The asynchronous form, for load generators: the future fails with the gRPC status on refusal. */
    public com.google.common.util.concurrent.ListenableFuture<InvokeResponse> invokeAsync(InvokeRequest request) {
        return invocationsAsync.withDeadlineAfter(INVOKE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).invoke(request);
    }

    /**
     * Queues one asynchronous invocation of {@code function} per payload, all in one transaction, and
     * returns their ids (same order) once the controller has them on disk.
     */
    public List<String> invokeQueued(String function, List<ByteString> payloads) {
        return invokeQueued(function, "", payloads);
    }

    /** As {@link #invokeQueued(String, List)}, of the revision {@code qualifier} names when each runs ("" the latest). */
    public List<String> invokeQueued(String function, String qualifier, List<ByteString> payloads) {
        return call(() -> invocations.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .invokeAsync(InvokeAsyncRequest.newBuilder().setFunction(function).setQualifier(qualifier).addAllPayloads(payloads).build())
                .getInvocationIdsList());
    }

    /** An asynchronous invocation's status, attempts and result. */
    public AsyncInvocation invocation(String invocationId) {
        return call(() -> invocations.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getInvocation(GetInvocationRequest.newBuilder().setInvocationId(invocationId).build()));
    }

    /** The function's dead-letter list, oldest first; {@code limit} 0 means the controller's default (1000). */
    public List<AsyncInvocation> deadLetters(String function, int limit) {
        return call(() -> invocations.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listDeadLetters(ListDeadLettersRequest.newBuilder().setFunction(function).setLimit(limit).build())
                .getInvocationsList());
    }

    public List<Worker> workers() {
        return call(() -> fleet.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList());
    }

    public List<Environment> environments() {
        return environments("");
    }

    /** The fleet's environments, of one function when {@code function} is not empty. */
    public List<Environment> environments(String function) {
        return call(() -> fleet.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listEnvironments(ListEnvironmentsRequest.newBuilder().setFunction(function).build()).getEnvironmentsList());
    }

    /**
     * Watches the fleet: {@code changes} gets every worker and environment as they are, then
     * {@code synced}, then every change, until the returned handle is closed or the stream fails.
     */
    public AutoCloseable watch(String function, io.grpc.stub.StreamObserver<dev.floe.proto.FleetChange> changes) {
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        context.run(() -> dev.floe.proto.FleetGrpc.newStub(channel)
                .watch(dev.floe.proto.WatchRequest.newBuilder().setFunction(function).build(), changes));
        return () -> context.cancel(null);
    }

    @Override
    public void close() {
        Lifecycles.shutdown(channel, Duration.ofSeconds(2));
        Lifecycles.shutdown(loops, Duration.ofSeconds(2));
    }

    private static <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw FloeException.fromThrowable(e);
        }
    }
}
