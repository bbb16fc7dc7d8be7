package dev.floe.chaos;

import com.google.protobuf.ByteString;
import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.common.Lifecycles;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.GetInvocationRequest;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeAsyncRequest;
import dev.floe.proto.InvokeAsyncResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Steady asynchronous load: every {@code interval} it queues {@code batch} invocations with
 * {@code InvokeAsync}, each carrying its own {@code seq}. An invocation is accepted when the
 * controller answers with its id; a submission the controller refuses (it is down, or restarting)
 * is counted as refused and not accepted. {@link #stop} waits, up to {@code settleDeadline}, until
 * every accepted invocation is final in the queue (succeeded or dead-lettered); one that is not by
 * then counts as hung. Every accepted one must show in the function's records: at least once is the
 * contract, whatever befell the fleet.
 */
final class AsyncLoad implements Load {
    private static final Duration SUBMIT_DEADLINE = Duration.ofSeconds(10);

    private final int batch;
    private final Duration interval;
    private final Duration settleDeadline;
    private final long sleepMs;
    /** Accepted invocation id to the sequence number its payload carries. */
    private final Map<String, Long> accepted = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private final AtomicLong submissionsHung = new AtomicLong();
    private volatile boolean running;
    private Thread submitter;
    private ManagedChannel channel;
    private InvocationsGrpc.InvocationsBlockingStub client;

    AsyncLoad(int batch, Duration interval, Duration settleDeadline, long sleepMs) {
        this.batch = Check.range("batch", batch, 1, 10_000);
        this.interval = Check.positive("interval", interval);
        this.settleDeadline = Check.positive("settleDeadline", settleDeadline);
        this.sleepMs = sleepMs;
    }

    @Override
    public void start(java.util.List<HostPort> endpoints, ClusterToken token, String function, LongSupplier sequences) {
        running = true;
        channel = dev.floe.client.EndpointList.channel(endpoints).usePlaintext().intercept(token.attach()).build();
        client = InvocationsGrpc.newBlockingStub(channel);
        submitter = Thread.ofPlatform().name("chaos-async-submitter").daemon(true).start(() -> {
            long next = System.nanoTime();
            while (running) {
                submit(function, sequences);
                next += interval.toNanos();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    pause(Duration.ofNanos(wait));
                } else {
                    next = System.nanoTime(); // behind (a refusal took long): no burst to catch up
                }
            }
        });
    }

    private void submit(String function, LongSupplier sequences) {
        List<Long> seqs = new ArrayList<>(batch);
        InvokeAsyncRequest.Builder request = InvokeAsyncRequest.newBuilder().setFunction(function);
        for (int i = 0; i < batch; i++) {
            long seq = sequences.getAsLong();
            seqs.add(seq);
            request.addPayloads(ByteString.copyFrom(("{\"seq\":" + seq + ",\"sleep_ms\":" + sleepMs + "}").getBytes(StandardCharsets.UTF_8)));
        }
        try {
            InvokeAsyncResponse response = client.withDeadlineAfter(SUBMIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .invokeAsync(request.build());
            if (response.getInvocationIdsCount() != batch) {
                refused("answer with " + response.getInvocationIdsCount() + " ids for " + batch + " payloads");
                return;
            }
            for (int i = 0; i < batch; i++) {
                accepted.put(response.getInvocationIds(i), seqs.get(i));
            }
        } catch (StatusRuntimeException e) {
            boolean answeredByFloe = e.getTrailers() != null && e.getTrailers().containsKey(FloeException.ERROR_TYPE_KEY);
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED && !answeredByFloe) {
                // Neither taken nor refused: the controller did not answer at all.
                submissionsHung.addAndGet(batch);
                return;
            }
            refused(answeredByFloe ? e.getTrailers().get(FloeException.ERROR_TYPE_KEY) : "gRPC " + e.getStatus().getCode());
        }
    }

    private void refused(String why) {
        refused.computeIfAbsent(why, k -> new AtomicLong()).addAndGet(batch);
        pause(Duration.ofMillis(100));
    }

    @Override
    public Tally stop() throws InterruptedException {
        running = false;
        if (submitter != null) {
            submitter.join(SUBMIT_DEADLINE.toMillis() + 5_000);
        }
        try {
            Map<String, AsyncInvocation> last = awaitFinal();
            long completed = 0;
            long retried = 0;
            long unsettled = 0;
            Map<String, Long> deadLettered = new TreeMap<>();
            for (String id : accepted.keySet()) {
                AsyncInvocation inv = last.get(id);
                if (inv == null) {
                    unsettled++;
                    continue;
                }
                if (inv.getAttempts() > 1) {
                    retried++;
                }
                switch (inv.getStatus()) {
                    case SUCCEEDED -> completed++;
                    case DEAD_LETTERED -> deadLettered.merge("dead-lettered: " + inv.getDeadLetterReason(), 1L, Long::sum);
                    default -> unsettled++;
                }
            }
            Map<String, Long> refusals = new TreeMap<>();
            refused.forEach((k, v) -> refusals.put(k, v.get()));
            return new Tally("asynchronous", accepted.size(), completed, deadLettered, unsettled + submissionsHung.get(),
                    Set.copyOf(accepted.values()), refusals, retried);
        } finally {
            if (channel != null) {
                Lifecycles.shutdown(channel, Duration.ofSeconds(5));
            }
        }
    }

    /** The last status seen of each accepted invocation, polling the ones not final yet until all are or the deadline passes. */
    private Map<String, AsyncInvocation> awaitFinal() {
        Map<String, AsyncInvocation> last = new ConcurrentHashMap<>();
        Set<String> pending = new HashSet<>(accepted.keySet());
        long deadline = System.nanoTime() + settleDeadline.toNanos();
        while (!pending.isEmpty() && System.nanoTime() - deadline < 0) {
            for (var it = pending.iterator(); it.hasNext(); ) {
                String id = it.next();
                try {
                    AsyncInvocation inv = client.withDeadlineAfter(SUBMIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .getInvocation(GetInvocationRequest.newBuilder().setInvocationId(id).build());
                    last.put(id, inv);
                    if (inv.getStatus() == AsyncInvocation.Status.SUCCEEDED || inv.getStatus() == AsyncInvocation.Status.DEAD_LETTERED) {
                        it.remove();
                    }
                } catch (StatusRuntimeException notNow) {
                    break; // the controller is not answering: try the rest on the next pass
                }
            }
            if (!pending.isEmpty()) {
                pause(Duration.ofMillis(200));
            }
        }
        return last;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
