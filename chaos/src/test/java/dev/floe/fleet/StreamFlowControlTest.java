package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.CodePackages;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvocationsGrpc;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.testing.Await;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flow control of streamed responses through the whole fleet: a caller that reads slowly holds the
 * function's writes back (the function's own record of how far it got stays within a bound of what the
 * caller has read), neither the worker nor the controller piles the response up, a function held back
 * still times out, and a caller that cancels ends its part while the function runs on and its
 * environment is released.
 */
class StreamFlowControlTest {
    private static final int MB = 1024 * 1024;
    private static final int TOTAL = 16 * MB;
    private static final int PIECE = 64 * 1024;
    /**
     * What may lie between the function and a paused reader, at most: the function's kernel send buffer
     * (64 KB asked, 128 KB given), the worker's receive buffer (256 KB given), the piece the worker read
     * (128 KB), gRPC's 32 KB ready threshold and a 128 KB message on the worker's side, the controller's
     * 1 MB window toward the worker and its two pieces read ahead (256 KB), a message and the 32 KB
     * threshold toward the caller, and the reader's 64 KB window: about 2.1 MB if every buffer were full
     * at once; 1.2 to 1.5 MB were measured. The bound leaves room above that sum; without flow control
     * the function sends all 16 MB.
     */
    private static final long BOUND = 5L * MB / 2;
    private static FleetFixture fleet;
    private static Path scratch;
    private ManagedChannel channel;
    private InvocationsGrpc.InvocationsBlockingStub invocations;

    @BeforeAll
    static void start() throws IOException {
        fleet = new FleetFixture(1);
        byte[] flood = CodePackages.zipFiles(Map.of("bootstrap", dev.floe.launcher.Examples.bootstrap("stream-flood")));
        fleet.client.createFunction("flood", flood, FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("flood").setTimeoutSeconds(60).build());
        fleet.client.createFunction("flood-3s", flood, FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("flood").setTimeoutSeconds(3).build());
        scratch = fleet.scratch;
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @BeforeEach
    void connect() {
        // The reader's own window fixed small, so that what lies in it is a known part of the bound.
        channel = NettyChannelBuilder.forAddress(fleet.fleet.endpoint().host(), fleet.fleet.endpoint().port())
                .usePlaintext().flowControlWindow(PIECE).intercept(fleet.fleet.controller().token().attach()).build();
        invocations = InvocationsGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void aSlowReaderHoldsTheFunctionBackAndGetsEveryByte() {
        Path record = scratch.resolve("slow");
        Iterator<InvokeStreamMessage> stream = invoke("flood", record, TOTAL);
        ByteString.Output body = ByteString.newOutput();

        // The blocking stub asks for one message at a time: between reads nothing is taken from the fleet.
        for (long step : new long[] {0, 4L * MB, 10L * MB}) {
            while (body.size() <= step) {
                InvokeStreamMessage m = stream.next();
                assertFalse(m.hasDone(), "the stream ended after " + body.size() + " bytes");
                writeTo(body, m.getChunk());
            }
            long read = body.size();
            long blockedAt = FloodRecord.awaitBlockedBeyond(record, read);
            assertTrue(blockedAt - read <= BOUND, "the function had sent " + blockedAt + " bytes when the reader had read "
                    + read + " (expected: at most " + BOUND + " more)");
            double workerHolds = gauge(fleet.fleet.workers().getFirst().meters(), "floe.worker.stream.buffered");
            assertTrue(workerHolds <= 256 * 1024, "the worker holds " + workerHolds + " bytes of the stream (expected: at most 256 KB)");
            assertEquals(1.0, gauge(fleet.fleet.controller().meters(), "floe.controller.streams.waiting"),
                    "the controller waits for the caller");
        }
        InvokeResponse done = null;
        while (stream.hasNext()) {
            InvokeStreamMessage m = stream.next();
            if (m.hasDone()) {
                done = m.getDone();
            } else {
                writeTo(body, m.getChunk());
            }
        }

        assertEquals("", done.getFunctionError(), done.getPayload().toStringUtf8());
        byte[] bytes = body.toByteString().toByteArray();
        assertEquals(TOTAL, bytes.length);
        for (int i = 0; i < bytes.length; i += 4096) {
            assertEquals((byte) ((i / PIECE) % 251), bytes[i], "byte " + i + " in order");
        }
        // The function records "done" once the Runtime API answered its body, which may be after the caller has it all.
        Await.until(Duration.ofSeconds(30), "the function records that it sent all " + TOTAL + " bytes",
                () -> FloodRecord.read(record).equals("done " + TOTAL));
        Await.until(Duration.ofSeconds(10), "the stream's meters back at zero", () ->
                gauge(fleet.fleet.workers().getFirst().meters(), "floe.worker.stream.buffered") == 0
                        && gauge(fleet.fleet.controller().meters(), "floe.controller.streams.waiting") == 0);
    }

    @Test
    void aCancelledStreamEndsTheCallTheFunctionRunsOnAndItsEnvironmentIsReleased() {
        Path record = scratch.resolve("cancelled");
        Context.CancellableContext call = Context.current().withCancellation();
        Iterator<InvokeStreamMessage> stream;
        Context previous = call.attach();
        try {
            stream = invoke("flood", record, TOTAL);
        } finally {
            call.detach(previous);
        }
        long read = stream.next().getChunk().size();
        FloodRecord.awaitBlockedBeyond(record, read);

        call.cancel(null);

        // As in Lambda, the function is not stopped: the controller drops the rest of its body, so it runs to its end.
        Await.until(Duration.ofSeconds(60), "the function finished its response", () -> FloodRecord.read(record).equals("done " + TOTAL));
        Await.until(Duration.ofSeconds(20), "its environment released", () -> fleet.environments("flood").stream()
                .anyMatch(e -> e.getState() == Environment.State.IDLE || e.getState() == Environment.State.FROZEN));
        Await.until(Duration.ofSeconds(10), "the stream's meters back at zero", () ->
                gauge(fleet.fleet.workers().getFirst().meters(), "floe.worker.stream.buffered") == 0
                        && gauge(fleet.fleet.controller().meters(), "floe.controller.streams.waiting") == 0);
        String environment = fleet.environments("flood").getFirst().getId();
        InvokeResponse next = drain(invoke("flood", scratch.resolve("after-cancel"), PIECE));
        assertEquals("", next.getFunctionError(), next.getPayload().toStringUtf8());
        assertFalse(next.getCold(), "the next invocation found the environment warm");
        assertEquals(environment, next.getEnvironmentId());
    }

    @Test
    void aPausedStreamDoesNotHoldUpOtherInvocationsOnItsWorker() {
        Path record = scratch.resolve("paused-beside");
        Iterator<InvokeStreamMessage> paused = invoke("flood", record, TOTAL);
        long read = paused.next().getChunk().size();
        FloodRecord.awaitBlockedBeyond(record, read);

        // The paused stream fills its own window toward the controller; the worker's other answers share
        // the connection, and must still get through while the reader sleeps.
        InvokeResponse beside = drain(invocations.withDeadlineAfter(30, TimeUnit.SECONDS).invokeStream(InvokeRequest.newBuilder()
                .setFunction("flood-3s").setPayload(ByteString.copyFromUtf8("{\"bytes\":" + PIECE + ",\"piece\":" + PIECE + "}"))
                .build()));

        assertEquals("", beside.getFunctionError(), beside.getPayload().toStringUtf8());
        // Still held back: pieces may move up as buffers between the hops drain, but the function blocks again.
        assertFalse(FloodRecord.read(record).startsWith("done"), "the paused stream ran to its end: " + FloodRecord.read(record));
        Await.until(Duration.ofSeconds(10), "the paused stream's function blocked", () -> FloodRecord.read(record).startsWith("blocked"));
        drain(paused);
    }

    @Test
    void aFunctionHeldBackByItsReaderStillTimesOut() {
        Path record = scratch.resolve("timeout");
        Iterator<InvokeStreamMessage> stream = invoke("flood-3s", record, TOTAL);
        long read = stream.next().getChunk().size();
        FloodRecord.awaitBlockedBeyond(record, read);

        Await.until(Duration.ofSeconds(20), "the environment retired at its timeout", () -> fleet.environments("flood-3s").isEmpty());
        long[] bytes = {read};
        InvokeResponse done = null;
        while (stream.hasNext()) {
            InvokeStreamMessage m = stream.next();
            if (m.hasDone()) {
                done = m.getDone();
            } else {
                bytes[0] += m.getChunk().size();
            }
        }

        assertEquals("Sandbox.Timedout", done.getErrorType(), done.getPayload().toStringUtf8());
        assertTrue(bytes[0] < TOTAL, "the caller got " + bytes[0] + " bytes of a response cut short");
        assertFalse(FloodRecord.read(record).startsWith("done"), "the function never finished: " + FloodRecord.read(record));
    }

    private Iterator<InvokeStreamMessage> invoke(String function, Path record, int bytes) {
        String event = "{\"bytes\":" + bytes + ",\"piece\":" + PIECE + ",\"record\":\"" + record + "\"}";
        return invocations.withDeadlineAfter(120, TimeUnit.SECONDS).invokeStream(InvokeRequest.newBuilder()
                .setFunction(function).setPayload(ByteString.copyFromUtf8(event)).build());
    }

    private static InvokeResponse drain(Iterator<InvokeStreamMessage> stream) {
        InvokeResponse done = null;
        while (stream.hasNext()) {
            InvokeStreamMessage m = stream.next();
            if (m.hasDone()) {
                done = m.getDone();
            }
        }
        return done;
    }


    private static void writeTo(ByteString.Output body, ByteString chunk) {
        try {
            chunk.writeTo(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    private static double gauge(MeterRegistry meters, String name) {
        Gauge gauge = meters.find(name).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }
}
