package dev.floe.controller.cluster;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.invoke.Forwarding;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.ControllerMember;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;

/**
 * Forwards a synchronous call to its function's owner over the owner's {@code Invocations} service,
 * marked as forwarded so the owner places it rather than forwarding it again (ownership may have moved
 * meanwhile: one hop, never a loop). Where the owner cannot be reached before it got the call (its
 * connection refused: it died, and its shards have not moved yet), the call is placed here.
 */
public final class OwnerForwarding implements Forwarding {
    static final Metadata.Key<String> FORWARDED_BY = Metadata.Key.of("floe-forwarded-by", Metadata.ASCII_STRING_MARSHALLER);
    /** Set on a server call that another controller forwarded. */
    public static final Context.Key<String> FORWARDED = Context.key("floe-forwarded-by");

    private final Shards shards;
    private final Membership membership;
    private final Invoker invoker;
    private final PeerChannels peers;

    public OwnerForwarding(Shards shards, Membership membership, Invoker invoker, PeerChannels peers) {
        this.shards = shards;
        this.membership = membership;
        this.invoker = invoker;
        this.peers = peers;
    }

    /** Reads the mark of a forwarded call into {@link #FORWARDED}. */
    public static ServerInterceptor mark() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String by = headers.get(FORWARDED_BY);
                return by == null ? next.startCall(call, headers)
                        : Contexts.interceptCall(Context.current().withValue(FORWARDED, by), call, headers, next);
            }
        };
    }

    @Override
    public CompletableFuture<InvokeResponse> forward(InvokeCall call) {
        String owner = shards.ownerOf(call.function()).orElse(null);
        if (owner == null || owner.equals(membership.id())) {
            return null;
        }
        ControllerMember member = membership.live().get(owner);
        if (member == null) {
            return null;
        }
        ManagedChannel channel = peers.to(member.getGrpcAddress());
        String self = membership.id();
        InvocationsGrpc.InvocationsFutureStub stub = InvocationsGrpc.newFutureStub(channel).withInterceptors(new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(FORWARDED_BY, self);
                        super.start(listener, headers);
                    }
                };
            }
        });
        if (call.callerDeadline() != null) {
            stub = stub.withDeadline(call.callerDeadline());
        }
        InvokeRequest request = InvokeRequest.newBuilder().setFunction(call.function()).setQualifier(call.qualifier())
                .setPayload(call.payload()).setTailLog(call.tailLog()).setClientContext(call.clientContext()).build();
        CompletableFuture<InvokeResponse> result = new CompletableFuture<>();
        var sent = stub.invoke(request);
        result.whenComplete((r, t) -> {
            if (result.isCancelled()) {
                sent.cancel(true);
            }
        });
        Futures.addCallback(sent, new FutureCallback<>() {
            @Override
            public void onSuccess(InvokeResponse response) {
                result.complete(response);
            }

            @Override
            public void onFailure(Throwable t) {
                if (refused(t)) {
                    invoker.invokeHere(call, null).whenComplete((r, f) -> {
                        if (f != null) {
                            result.completeExceptionally(f);
                        } else {
                            result.complete(r);
                        }
                    });
                    return;
                }
                FloeException floe = FloeException.fromThrowable(t);
                result.completeExceptionally(floe.type() == ErrorType.SERVICE_UNAVAILABLE
                        ? new FloeException(ErrorType.SERVICE_UNAVAILABLE, "controller " + owner + " (owner of " + call.function()
                                + ") failed during the call: " + floe.getMessage(), t)
                        : floe);
            }
        }, MoreExecutors.directExecutor());
        return result;
    }

    /** The owner's connection was refused: it never got the call. */
    private static boolean refused(Throwable t) {
        Status s = Status.fromThrowable(t);
        if (s.getCode() != Status.Code.UNAVAILABLE) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException || (c.getMessage() != null && c.getMessage().contains("Connection refused"))) {
                return true;
            }
        }
        return false;
    }
}
