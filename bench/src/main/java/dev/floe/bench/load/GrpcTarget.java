package dev.floe.bench.load;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.common.FloeException;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** Invocations through the controller's gRPC {@code Invocations} service, one HTTP/2 connection for all. */
public final class GrpcTarget implements LoadTarget {
    private final FloeClient client;
    private final boolean owned;
    /** Payloads are few and reused: each is copied into a ByteString once. */
    private final Map<byte[], ByteString> payloads = new ConcurrentHashMap<>();

    /** {@code owned}: whether closing the target closes the client. */
    public GrpcTarget(FloeClient client, boolean owned) {
        this.client = client;
        this.owned = owned;
    }

    @Override
    public CompletableFuture<Outcome> invoke(String function, byte[] payload) {
        InvokeRequest request = InvokeRequest.newBuilder().setFunction(function)
                .setPayload(payloads.computeIfAbsent(payload, ByteString::copyFrom)).build();
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Futures.addCallback(client.invokeAsync(request), new FutureCallback<InvokeResponse>() {
            @Override
            public void onSuccess(InvokeResponse response) {
                outcome.complete(new Outcome(null, response.getFunctionError().isEmpty() ? null : response.getFunctionError(),
                        response.getCold()));
            }

            @Override
            public void onFailure(Throwable t) {
                FloeException refusal = FloeException.fromThrowable(t);
                outcome.complete(Outcome.refused(refusal.type().wireName(), refusal.getMessage()));
            }
        }, MoreExecutors.directExecutor());
        return outcome;
    }

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public void close() {
        if (owned) {
            client.close();
        }
    }
}
