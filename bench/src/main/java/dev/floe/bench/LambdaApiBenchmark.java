package dev.floe.bench;

import dev.floe.launcher.LocalFleet;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.proto.InvokeRequest;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * {@code floe bench-lambda}: a warm invocation through Lambda's HTTP API beside its floor, the same
 * invocation of the same function on the same fleet through the controller's gRPC {@code Invocations}
 * service, alternating in rounds so both see the same machine. The difference is what the HTTP API
 * (HTTP/1.1 parsing, JSON checks, the hand-off to a handler thread) adds.
 */
final class LambdaApiBenchmark {
    private static final byte[] EVENT = "{\"hello\":\"floe\"}".getBytes(StandardCharsets.UTF_8);

    private LambdaApiBenchmark() {}

    static FloeCommand command() {
        return FloeCommand.named("bench-lambda").section(FloeCommand.Section.TOOLS)
                .synopsis("bench-lambda [--warm N]")
                .summary("a warm Invoke through Lambda's HTTP API beside the gRPC one")
                .options(new Args.Spec()
                        .value("warm", "N", "warm invocations, 10..1000000 (default 2000)")
                        .value("endpoint", "HOST:PORT", "ignored: the benchmark runs a fleet of its own"))
                .runs(LambdaApiBenchmark::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        args.positional(0, "no arguments");
        int warm = args.integer("warm", 10, 1_000_000, 2000);
        int warmup = Math.max(3000, warm);
        Path data = Files.createTempDirectory(Path.of("/var/tmp"), "floe-bench-lambda-");
        try (LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(1024)
                // Its minimal keep-alive client does not sign: the figure is the server's without SigV4.
                .lambdaCredentials(dev.floe.controller.lambdaapi.LambdaCredentials.anyone())
                .start().awaitRegistered(Duration.ofSeconds(30));
             FloeClient grpc = fleet.client();
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            // CreateFunction through the HTTP API too, as a user of the SDKs would.
            URI functions = fleet.lambdaEndpoint().resolve("/2015-03-31/functions");
            String zip = Base64.getEncoder().encodeToString(dev.floe.common.CodePackages.zipFiles(
                    java.util.Map.of("bootstrap", Benchmark.example("echo-python"))));
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(functions).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"FunctionName\":\"echo\",\"Runtime\":\"provided\",\"Handler\":\"echo\",\"Code\":{\"ZipFile\":\"" + zip + "\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("CreateFunction answered " + created.statusCode() + ": " + created.body());
            }
            // A minimal HTTP/1.1 client on one kept-alive connection, so the figure is the server's, not a client library's.
            KeptAliveConnection connection = new KeptAliveConnection(fleet.controller().lambdaPort());
            byte[] invoke = ("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                    + EVENT.length + "\r\n\r\n" + new String(EVENT, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            InvokeRequest request = InvokeRequest.newBuilder().setFunction("echo").setPayload(ByteString.copyFrom(EVENT)).build();
            Runnable viaHttp = () -> connection.exchange(invoke);
            Runnable viaGrpc = () -> grpc.invoke(request);
            cli.err().println("bench-lambda: " + warm + " warm invocations each way, after " + warmup + " to warm up, alternating in 10 rounds");
            time(new long[warmup], 0, warmup, viaHttp);
            time(new long[warmup], 0, warmup, viaGrpc);
            long[] httpRtt = new long[warm];
            long[] grpcRtt = new long[warm];
            for (int r = 0; r < 10; r++) {
                int from = warm * r / 10;
                int to = warm * (r + 1) / 10;
                time(httpRtt, from, to, viaHttp);
                time(grpcRtt, from, to, viaGrpc);
            }
            PrintStream out = cli.out();
            String format = "%-52s %10s %10s %10s %10s  %s%n";
            out.printf(Locale.ROOT, format, "measure (ms)", "Floe p50", "Floe p99", "floor p50", "floor p99", "the floor is");
            connection.socket.close();
            out.printf(Locale.ROOT, format, "warm Invoke through the Lambda HTTP API (keep-alive)", ms(Benchmark.p(httpRtt, 50)),
                    ms(Benchmark.p(httpRtt, 99)), ms(Benchmark.p(grpcRtt, 50)), ms(Benchmark.p(grpcRtt, 99)),
                    "the same invocation through the gRPC Invocations service");
        } finally {
            dev.floe.common.FileTrees.delete(data);
        }
        return 0;
    }

    /** Sends whole requests and reads each answer's status line, headers and Content-Length body. */
    private static final class KeptAliveConnection {
        private final java.net.Socket socket;
        private final java.io.BufferedInputStream in;

        KeptAliveConnection(int port) throws java.io.IOException {
            socket = new java.net.Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        void exchange(byte[] request) {
            try {
                socket.getOutputStream().write(request);
                String status = line();
                if (!status.startsWith("HTTP/1.1 200")) {
                    throw new IllegalStateException("Invoke answered " + status);
                }
                int length = 0;
                for (String header = line(); !header.isEmpty(); header = line()) {
                    if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
                        length = Integer.parseInt(header.substring(15).strip());
                    }
                }
                in.readNBytes(length);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private String line() throws java.io.IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("the connection closed");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }
    }

    private static void time(long[] samples, int from, int to, Runnable call) {
        for (int i = from; i < to; i++) {
            long start = System.nanoTime();
            call.run();
            samples[i] = System.nanoTime() - start;
        }
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%.3f", millis);
    }
}
