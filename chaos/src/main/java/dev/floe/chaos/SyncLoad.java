package dev.floe.chaos;

import com.google.protobuf.ByteString;
import dev.floe.common.ClusterToken;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Closed-loop synchronous callers: each invokes, waits for the answer (or its deadline), records the
 * outcome, and goes again; after a refusal it pauses briefly, so a controller that is down is
 * probed, not flooded. A call still unanswered at {@code deadline} counts as hung.
 */
final class SyncLoad implements Load {
    private final int callers;
    private final Duration deadline;
    private final long sleepMs;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong hung = new AtomicLong();
    private final Map<String, AtomicLong> failed = new ConcurrentHashMap<>();
    private final Set<Long> answered = ConcurrentHashMap.newKeySet();
    private volatile boolean running;
    private ManagedChannel channel;

    SyncLoad(int callers, Duration deadline, long sleepMs) {
        this.callers = callers;
        this.deadline = deadline;
        this.sleepMs = sleepMs;
    }

    @Override
    public void start(java.util.List<HostPort> endpoints, ClusterToken token, String function, LongSupplier sequences) {
        running = true;
        // A channel of its own, so each call carries the harness's deadline rather than the client library's.
        channel = dev.floe.client.EndpointList.channel(endpoints).usePlaintext().intercept(token.attach()).build();
        InvocationsGrpc.InvocationsBlockingStub client = InvocationsGrpc.newBlockingStub(channel);
        for (int i = 0; i < callers; i++) {
            threads.add(Thread.ofPlatform().name("chaos-caller-" + i).daemon(true).start(() -> {
                while (running) {
                    call(client, function, sequences.getAsLong());
                }
            }));
        }
    }

    private void call(InvocationsGrpc.InvocationsBlockingStub client, String function, long seq) {
        accepted.incrementAndGet();
        byte[] event = ("{\"seq\":" + seq + ",\"sleep_ms\":" + sleepMs + "}").getBytes(StandardCharsets.UTF_8);
        String outcome;
        try {
            InvokeResponse response = client.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .invoke(InvokeRequest.newBuilder().setFunction(function).setPayload(ByteString.copyFrom(event)).build());
            if (response.getFunctionError().isEmpty() && response.getPayload().toStringUtf8().contains("\"seq\": " + seq)) {
                completed.incrementAndGet();
                answered.add(seq);
                return;
            }
            outcome = response.getErrorType().isEmpty() ? "unexpected answer" : response.getErrorType();
        } catch (StatusRuntimeException e) {
            boolean answeredByFloe = e.getTrailers() != null && e.getTrailers().containsKey(FloeException.ERROR_TYPE_KEY);
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED && !answeredByFloe) {
                // the client's own deadline passed with no answer from the fleet
                hung.incrementAndGet();
                return;
            }
            outcome = answeredByFloe ? e.getTrailers().get(FloeException.ERROR_TYPE_KEY) : "gRPC " + e.getStatus().getCode();
        }
        failed.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
        pause();
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Tally stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(deadline.toMillis() + 5_000);
        }
        if (channel != null) {
            Lifecycles.shutdown(channel, Duration.ofSeconds(5));
        }
        Map<String, Long> failures = new TreeMap<>();
        failed.forEach((k, v) -> failures.put(k, v.get()));
        return new Tally("synchronous", accepted.get(), completed.get(), failures, hung.get(), Set.copyOf(answered));
    }
}
