package dev.floe.bench;

import dev.floe.launcher.LocalFleet;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.proto.WorkerInvokeRequest;
import dev.floe.proto.WorkerInvokerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code floe bench-stream}: a streamed response's throughput through the fleet (function, worker,
 * controller, client, each hop flow-controlled) beside its floor, the same bytes in the function's 64 KB
 * messages over one bare gRPC stream on loopback, alternating in rounds so both see the same machine.
 */
final class StreamBenchmark {
    private static final int PIECE = 64 * 1024;

    private StreamBenchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench-stream").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-stream [--rounds N] [--mb M]")
                .summary("a streamed response's throughput beside a bare gRPC stream")
                .options(new Args.Spec()
                        .value("rounds", "N", "rounds, 1..1000 (default 10)")
                        .value("mb", "M", "megabytes per response, 1..20 (default 16)")
                        .value("endpoint", "HOST:PORT", "ignored: the benchmark runs a fleet of its own"))
                .runs(StreamBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        int rounds = args.integer("rounds", 1, 1000, 10);
        int mb = args.integer("mb", 1, 20, 16);
        int bytes = mb * 1024 * 1024;
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-stream-");
        Server floor = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new BareStream(bytes)).build().start();
        ManagedChannel toFloor = NettyChannelBuilder.forAddress("127.0.0.1", floor.getPort()).usePlaintext().build();
        try (LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(1024)
                .start().awaitRegistered(Duration.ofSeconds(30));
             FloeClient client = fleet.client()) {
            client.createFunction("stream-flood", dev.floe.common.CodePackages.zipFiles(
                    java.util.Map.of("bootstrap", Benchmark.example("stream-flood"))),
                    FunctionConfig.newBuilder().setRuntime("provided").setHandler("flood").setTimeoutSeconds(60).build());
            InvokeRequest request = InvokeRequest.newBuilder().setFunction("stream-flood")
                    .setPayload(ByteString.copyFromUtf8("{\"bytes\":" + bytes + ",\"piece\":" + PIECE + "}")).build();
            WorkerInvokerGrpc.WorkerInvokerBlockingStub bare = WorkerInvokerGrpc.newBlockingStub(toFloor);
            Runnable viaFleet = () -> {
                long[] got = {0};
                InvokeResponse done = client.invokeStream(request, chunk -> got[0] += chunk.size());
                check(got[0], bytes, done.getFunctionError() + " " + done.getErrorType());
            };
            Runnable viaBare = () -> {
                long got = 0;
                Iterator<InvokeStreamMessage> stream = bare.withDeadlineAfter(60, TimeUnit.SECONDS)
                        .invokeStream(WorkerInvokeRequest.getDefaultInstance());
                while (stream.hasNext()) {
                    got += stream.next().getChunk().size();
                }
                check(got, bytes, "");
            };
            cli.err().println("bench-stream: a " + mb + " MB streamed response in " + PIECE / 1024 + " KB pieces, " + rounds
                    + " times each way after 2 to warm up, alternating");
            for (int i = 0; i < 2; i++) {
                viaFleet.run();
                viaBare.run();
            }
            long[] fleetNanos = new long[rounds];
            long[] bareNanos = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                fleetNanos[r] = time(viaFleet);
                bareNanos[r] = time(viaBare);
            }
            PrintStream out = cli.out();
            String format = "%-44s %10s %10s %10s %10s  %s%n";
            out.printf(Locale.ROOT, format, "measure (MB/s)", "Floe p50", "Floe min", "floor p50", "floor min", "the floor is");
            // The slowest round's rate is the "min"; p50 of the times is the median rate.
            out.printf(Locale.ROOT, format, mb + " MB streamed response, function to client", rate(mb, Benchmark.p(fleetNanos, 50)),
                    rate(mb, Benchmark.p(fleetNanos, 100)), rate(mb, Benchmark.p(bareNanos, 50)), rate(mb, Benchmark.p(bareNanos, 100)),
                    "the same messages over one bare gRPC stream on loopback");
        } finally {
            toFloor.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            floor.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            dev.floe.common.FileTrees.delete(data);
        }
        return 0;
    }

    private static void check(long got, int expected, String error) {
        if (got != expected || !error.isBlank()) {
            throw new IllegalStateException("the stream carried " + got + " bytes (expected: " + expected + ") " + error);
        }
    }

    private static long time(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return System.nanoTime() - start;
    }

    private static String rate(int mb, double millis) {
        return String.format(Locale.ROOT, "%.0f", mb / (millis / 1000));
    }

    /** The floor's server: the same messages as a worker relays, sent as fast as gRPC takes them. */
    private static final class BareStream extends WorkerInvokerGrpc.WorkerInvokerImplBase {
        private final int bytes;
        private final ByteString piece = ByteString.copyFrom(new byte[PIECE]);

        BareStream(int bytes) {
            this.bytes = bytes;
        }

        @Override
        public void invokeStream(WorkerInvokeRequest request, StreamObserver<InvokeStreamMessage> messages) {
            for (int sent = 0; sent < bytes; sent += PIECE) {
                messages.onNext(InvokeStreamMessage.newBuilder().setChunk(piece).build());
            }
            messages.onNext(InvokeStreamMessage.newBuilder().setDone(InvokeResponse.getDefaultInstance()).build());
            messages.onCompleted();
        }
    }
}
