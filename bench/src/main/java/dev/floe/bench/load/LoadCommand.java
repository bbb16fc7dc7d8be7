package dev.floe.bench.load;

import dev.floe.client.FloeClient;
import dev.floe.client.cli.Args;
import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import dev.floe.client.cli.TlsFlags;
import dev.floe.client.cli.UsageException;
import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code floe load}: the load generator's command line. */
public final class LoadCommand {
    private LoadCommand() {}

    public static FloeCommand command() {
        return FloeCommand.named("load").section(FloeCommand.Section.TOOLS)
                .synopsis("load NAME... [--callers N | --rate R] [--duration S] [--via grpc|http] [--functions N] [--zipf S] [--payload-size B]... [--json]")
                .summary("invokes functions under load and reports throughput, latency percentiles, cold starts and errors")
                .description("""
                        Closed loop (--callers N, default 16): N callers, each sending its next invocation when the last
                        answered. Open loop (--rate R): R invocations started per second whatever the answers, each one's
                        latency counted from its intended send time, so a fleet that falls behind shows it. Each call picks
                        a function, the first named most often (Zipf weight 1/rank^S, --zipf 0 for uniform), and a payload.
                        Latency covers the invocations that ran; refusals are counted by type (TooManyRequestsException,
                        ServiceException, ...). A progress line is shown once a second on a terminal.""")
                .options(Cli.connectionOptions(new Args.Spec()
                        .positional("NAME...", "the functions to invoke, most popular first")
                        .value("callers", "N", "closed loop: concurrent callers, 1..100000 (default 16)")
                        .value("rate", "R", "open loop: invocations started per second, > 0")
                        .value("duration", "S", "seconds measured (default 10)")
                        .value("warmup", "S", "seconds sent first and not counted (default 0)")
                        .value("via", "API", "grpc (the controller's Invocations service, default) or http (Lambda's HTTP API)")
                        .value("lambda-endpoint", "URL", "with --via http: the Lambda API (default http://the endpoint's host:its port + 1)")
                        .value("lambda-credentials", "FILE", "with --via http: a file of ACCESS_KEY_ID SECRET lines, whose first key signs"
                                + " (default ~/.floe/lambda-credentials if it exists), or none to send unsigned")
                        .value("functions", "N", "with one NAME: invoke NAME-1 .. NAME-N instead")
                        .value("zipf", "S", "popularity skew across the functions, 0..10 (default 1; 0 uniform)")
                        .value("payload", "JSON", "the payload (default {})")
                        .repeated("payload-size", "B", "a payload of B bytes instead (1..6291456); repeat to mix sizes")
                        .flag("json", "print the report as JSON")))
                .runs(LoadCommand::run).build();
    }

    static int run(Args args, Cli cli) throws Exception {
        LoadPlan plan = plan(args);
        try (LoadTarget target = target(args, cli)) {
            boolean terminal = System.console() != null && System.console().isTerminal() && !args.flag("json");
            cli.err().printf(Locale.ROOT, "load: %s for %s s%s against %s (%s)%n",
                    plan.openLoop() ? String.format(Locale.ROOT, "%.0f invocations/s", plan.rate()) : plan.callers() + " callers",
                    seconds(plan.duration()), plan.warmup().isZero() ? "" : " after " + seconds(plan.warmup()) + " s of warm-up",
                    plan.functions().size() == 1 ? plan.functions().getFirst() : plan.functions().size() + " functions", target.name());
            LoadReport report = Load.run(plan, target, p -> {
                if (terminal) {
                    cli.err().printf(Locale.ROOT, "\r%6.1f s %s %8.0f/s  p99 %8.2f ms  errors %d  in flight %d   ", p.elapsedS(),
                            p.warmingUp() ? "warm-up  " : "measuring", p.perSecond(), p.p99Ms(), p.errors(), p.inFlight());
                }
            });
            if (terminal) {
                cli.err().print("\r" + " ".repeat(90) + "\r");
            }
            if (args.flag("json")) {
                cli.out().println(report.json());
            } else {
                report.print(cli.out());
            }
            return report.ran() > 0 ? 0 : 1;
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }

    static LoadPlan plan(Args args) {
        List<String> names = args.positional();
        if (names.isEmpty()) {
            throw new UsageException("'load' needs NAME... (expected: one or more function names)");
        }
        Integer copies = args.integer("functions", 1, 100_000, null);
        List<String> functions = names;
        if (copies != null) {
            if (names.size() != 1) {
                throw new UsageException("--functions: with " + names.size() + " names (expected: one NAME, invoked as NAME-1 .. NAME-N)");
            }
            functions = new ArrayList<>();
            for (int i = 1; i <= copies; i++) {
                functions.add(names.getFirst() + "-" + i);
            }
        }
        double zipf = number(args, "zipf", 0, 10, 1);
        Duration duration = Duration.ofMillis((long) (number(args, "duration", 0.1, 86_400, 10) * 1000));
        Duration warmup = Duration.ofMillis((long) (number(args, "warmup", 0, 86_400, 0) * 1000));
        List<byte[]> payloads = new ArrayList<>();
        if (args.has("payload") && args.has("payload-size")) {
            throw new UsageException("--payload and --payload-size: both given (expected: one of them)");
        }
        for (String size : args.all("payload-size")) {
            payloads.add(LoadPlan.payloadOfSize(parseInt("payload-size", size, 1, dev.floe.common.FunctionLimits.PAYLOAD_MAX_BYTES)));
        }
        if (payloads.isEmpty()) {
            payloads.add(args.value("payload", "{}").getBytes(StandardCharsets.UTF_8));
        }
        if (args.has("rate")) {
            if (args.has("callers")) {
                throw new UsageException("--callers and --rate: both given (expected: --callers for a closed loop or --rate for an open one)");
            }
            return LoadPlan.open(functions, zipf, payloads, number(args, "rate", 0.001, 10_000_000, 0), warmup, duration);
        }
        return LoadPlan.closed(functions, zipf, payloads, args.integer("callers", 1, 100_000, 16), warmup, duration);
    }

    private static LoadTarget target(Args args, Cli cli) throws IOException {
        HostPort endpoint = cli.endpoint(args);
        String via = args.value("via", "grpc");
        switch (via) {
            case "grpc" -> {
                ClusterToken token = cli.requireToken(args);
                var tls = TlsFlags.resolve(args, cli);
                return new GrpcTarget(tls.isPresent() ? FloeClient.connect(endpoint, token, tls.get()) : FloeClient.connect(endpoint, token), true);
            }
            case "http" -> {
                URI lambda = URI.create(args.value("lambda-endpoint", "http://" + endpoint.host() + ":" + (endpoint.port() + 1)));
                String credentials = args.value("lambda-credentials", null);
                Path file = credentials == null ? Path.of(cli.env().getOrDefault("HOME", "."), ".floe", "lambda-credentials") : Path.of(credentials);
                if ("none".equals(credentials) || (credentials == null && !Files.exists(file))) {
                    return new HttpTarget(lambda, null, null);
                }
                LambdaCredentials.Key key = LambdaCredentials.read(file).first().orElseThrow(() ->
                        new UsageException("--lambda-credentials: " + file + " holds no key (expected: lines of ACCESS_KEY_ID SECRET)"));
                return new HttpTarget(lambda, key.id(), key.secret());
            }
            default -> throw new UsageException("--via: \"" + via + "\" (expected: grpc or http)");
        }
    }

    private static double number(Args args, String name, double min, double max, double fallback) {
        String value = args.value(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            double n = Double.parseDouble(value.trim());
            if (!(n >= min && n <= max)) {
                throw new UsageException("--" + name + ": " + value + " (expected: " + min + ".." + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": \"" + value + "\" (expected: a number, " + min + ".." + max + ")");
        }
    }

    private static int parseInt(String name, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n < min || n > max) {
                throw new UsageException("--" + name + ": " + n + " (expected: " + min + ".." + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": \"" + value + "\" (expected: a whole number, " + min + ".." + max + ")");
        }
    }
}
