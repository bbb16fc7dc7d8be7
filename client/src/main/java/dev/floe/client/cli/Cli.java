package dev.floe.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import dev.floe.client.FloeClient;
import dev.floe.common.ClusterToken;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code floe} command line: dispatch to the command groups ({@link FunctionCommands},
 * {@link InvokeCommands}, {@link FleetCommands}, {@link AsyncCommands}, {@link AliasCommands},
 * {@link TlsCommands} and the commands other modules add), the help, the mapping of errors to one line
 * and an exit status, and what the groups share: the output streams, the endpoint, the token, TLS and
 * connecting. Every command that talks to a fleet takes
 * {@code --endpoint HOST:PORT} (default {@code $FLOE_ENDPOINT}, else {@code 127.0.0.1:7070}) and
 * {@code --token-file FILE} (default {@code $FLOE_TOKEN}, else {@code ~/.floe/token}).
 * Exit status: 0 done (an invocation that ran, function errors included), 1 refused by Floe or Floe
 * unreachable, 2 a wrong command line.
 */
public final class Cli {
    public static final String DEFAULT_ENDPOINT = "127.0.0.1:7070";

    /** A command another module adds, such as {@code up} or {@code demo}. */
    public interface Command {
        int run(List<String> args, Cli cli) throws Exception;
    }

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final Map<String, Command> extra;
    /** The last endpoint a command connected to, to explain a refused connection. */
    private HostPort endpoint;
    /** Where the last token came from, to explain a refused one. */
    private String tokenSource;
    /** The last connection's TLS files (empty: plaintext), to explain a failed handshake. */
    private Optional<dev.floe.common.tls.ClusterTls> tls = Optional.empty();

    public Cli(PrintStream out, PrintStream err, Map<String, String> env, Map<String, Command> extra) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.extra = new LinkedHashMap<>(extra);
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    public Map<String, String> env() {
        return env;
    }

    public int run(String... argv) {
        List<String> args = Arrays.asList(argv);
        if (args.isEmpty() || args.getFirst().equals("help") || args.getFirst().equals("--help") || args.getFirst().equals("-h")) {
            usage(out);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.getFirst();
        List<String> rest = args.subList(1, args.size());
        int end = rest.indexOf("--");
        List<String> options = end < 0 ? rest : rest.subList(0, end);
        if (options.contains("--help") || options.contains("-h")) {
            return commandUsage(command);
        }
        try {
            if (extra.containsKey(command)) {
                return extra.get(command).run(rest, this);
            }
            return switch (command) {
                case "fn" -> new FunctionCommands(this).fn(rest);
                case "invoke" -> new InvokeCommands(this).invoke(rest);
                case "envs" -> new FleetCommands(this).envs(rest);
                case "workers" -> new FleetCommands(this).workers(rest);
                case "top" -> new FleetCommands(this).top(rest);
                case "invocation" -> new AsyncCommands(this).invocation(rest);
                case "dlq" -> new AsyncCommands(this).deadLetters(rest);
                case "alias" -> new AliasCommands(this).alias(rest);
                case "tls" -> new TlsCommands(this).run(rest);
                default -> throw new UsageException("unknown command '" + command + "' (expected one of: "
                        + String.join(", ", commands()) + "; see floe help)");
            };
        } catch (UsageException e) {
            err.println("floe: " + e.getMessage());
            return 2;
        } catch (FloeException e) {
            err.println("floe: " + describe(e));
            return 1;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("floe: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("floe: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("floe: " + e);
            return 1;
        }
    }

    private List<String> commands() {
        List<String> names = new java.util.ArrayList<>(extra.keySet());
        names.addAll(List.of("fn", "invoke", "envs", "workers", "top", "invocation", "dlq", "alias", "tls"));
        return names;
    }

    /**
     * {@code floe COMMAND --help}: the help's entries for that command (each with its continuation
     * lines), else the whole help; 0, as asking for help is not a mistake.
     */
    private int commandUsage(String command) {
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        usage(new PrintStream(whole, true, java.nio.charset.StandardCharsets.UTF_8));
        java.util.regex.Pattern named = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(command) + "\\b");
        List<String> entry = new java.util.ArrayList<>();
        boolean inEntry = false;
        for (String line : whole.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList()) {
            String trimmed = line.strip();
            if (line.startsWith("  ") && !line.startsWith("   ")) {
                // An entry ("  invoke NAME ...") or a note on options several commands share ("  (up and worker ...").
                inEntry = trimmed.equals(command) || trimmed.startsWith(command + " ")
                        || (trimmed.startsWith("(") && named.matcher(trimmed.substring(0, Math.min(trimmed.length(), 40))).find());
            } else if (!line.startsWith("   ")) {
                inEntry = false;
            }
            if (inEntry) {
                entry.add(line);
            }
        }
        if (entry.isEmpty()) {
            err.println("floe: unknown command '" + command + "' (expected one of: " + String.join(", ", commands()) + "; see floe help)");
            return 2;
        }
        out.println("usage: floe " + command + " ...   (floe help lists every command and the options they share)");
        entry.forEach(out::println);
        return 0;
    }

    private void usage(PrintStream to) {
        to.println("""
                usage: floe COMMAND [ARGS]   (commands that talk to a fleet take --endpoint HOST:PORT, default $FLOE_ENDPOINT or 127.0.0.1:7070,
                                   --token-file FILE, default $FLOE_TOKEN or ~/.floe/token, and for TLS --tls-dir DIR (its ca.pem,
                                   cert.pem, key.pem), --tls-ca/--tls-cert/--tls-key FILE, or --tls (~/.floe/tls); default plaintext)

                  demo [--data DIR]                          a local fleet, a sample function, cold and warm starts, then exit
                  up [--workers N] [--port P] [--host H] [--data DIR] [--worker-memory MB]
                                                             a controller and N workers until SIGINT/SIGTERM
                  controller [--port P] [--host H] [--data DIR] [--heartbeat-timeout MS]
                                                             a controller alone (host default 0.0.0.0; up's 127.0.0.1;
                                                             a worker silent for MS, default 5000, leaves the fleet)
                  worker --controller HOST:PORT [--id ID] [--memory MB] [--data DIR] [--port P] [--listen HOST] [--advertise HOST]
                                                             a worker alone, for another machine; default --id: with TLS
                                                             its certificate's name (floe tls issue --name), else host-random
                  (up and controller also take --concurrency N (invocations at once, default 1000), --queue N (waiting, default 10000)
                   and --queue-wait MS (how long one waits for a slot or for room before TooManyRequestsException, default 1000))
                  (up and controller also take --async-retries 0..2, --async-retry-delay S and --async-max-age S for asynchronous invocations)
                  (up and controller also take --lambda-port P (Lambda's HTTP API; default the port + 1) and
                   --lambda-credentials FILE|none (lines of ACCESS_KEY_ID SECRET: require SigV4 with those keys; none: take any
                   request; default: a key made in ~/.floe/lambda-credentials and written as the AWS profile floe),
                   --lambda-idle-timeout S (close a connection with no request after S, default 60),
                   --lambda-read-timeout S (408 for a request not whole within S, default 30),
                   --lambda-max-connections N (at most N open, default 2000) and --lambda-max-connections-per-address N
                   (at most N from one address, default a quarter of the total))
                  (up, controller and worker also take --metrics-port P (Prometheus text on http://H:P/metrics and /healthz;
                   0 for a free port; up serves workers on P+1, P+2...) and --metrics-host H (default 127.0.0.1))
                  (up and worker also take --idle-timeout S, --freeze-grace MS, --freezer auto|cgroup2|cgroup1|signal,
                   --tmp auto|disk|tmpfs|tmpdir and --launcher auto|native|script)
                  (up and worker also take --keep-alive fixed[:10m]|greedy-dual[:10m]; up and controller take
                   --placement floe|random|least-loaded|openwhisk-hash)
                  (up, controller and worker take the same TLS options; up --tls and controller --tls make ~/.floe/tls once)
                  tls init --dir DIR [--hosts H1,IP2,...] [--name NAME]
                                                             a cluster CA and the controller's certificate (default hosts: this host name)
                  tls issue --dir DIR --name NODE --hosts H1,IP2,... [--out OUT] [--role worker|controller|client]
                                                             another node's certificate (default role worker), signed by DIR's CA, in OUT (default DIR/NODE)
                  bench [--warm N] [--cold N] [--tls]        Floe's latencies beside the bare mechanism's
                  bench-fleet [--workers N] [--worker-memory MB] [--functions N] [--clients N] [--invocations N] [--work-ms MS] [--policy P]...
                                                             worker processes under many functions, per placement policy
                  chaos [--workers N] [--rounds N] [--callers N] [--async-rate N] [--settle S] [--data DIR] [--no-netns] [--keep]
                                                             kill workers and the controller, cut links, count (root)
                  bench-async [--events N] [--singles N]     how fast asynchronous invocations are durably accepted, beside bare SQLite
                  bench-runtimes [--warm N] [--cold N]       each runtime's cold and warm starts beside its floors
                  bench-placement [--workers N] [--environments E]
                                                             one placement decision's time per policy beside a HashMap lookup
                  simulate --trace PATH_PREFIX [--workers N] [--worker-memory MB] [--policy P]... [--keep-alive K]... [--json]
                                                             replays an Azure trace sample through the placement and keep-alive policies
                  bench-lambda [--warm N]                    a warm Invoke through Lambda's HTTP API beside the gRPC one
                  bench-stream [--rounds N] [--mb M]         a streamed response's throughput beside a bare gRPC stream
                  fn create NAME --code DIR|ZIP|JAR --handler H [--runtime provided|python3|nodejs|java25|java21] [--memory MB] [--timeout S] [--tmp MB] [--env K=V]...
                  fn update NAME [--code DIR|ZIP] [--handler H] [--runtime R] [--memory MB] [--timeout S] [--tmp MB] [--env K=V]...
                                [--reserved N|none] [--provisioned N]   (concurrency alone makes no new revision)
                  fn get NAME [--json]
                  fn ls [--json]
                  fn rm NAME
                  fn revisions NAME [--json]                 every revision, oldest first, and the aliases pointing at each
                  invoke NAME [--payload JSON | --payload-file FILE] [--tail] [--json] [--stream] [--qualifier Q]
                  invoke NAME --async [--payload JSON | --payload-file FILE | --payload-lines FILE] [--qualifier Q]
                                                             queue invocations (one per line of FILE); prints one id per line
                                                             (--qualifier: $LATEST (default), a revision number or an alias)
                  alias set NAME ALIAS REVISION [--weight REVISION2=SHARE] [--description D]
                                                             point ALIAS at REVISION, and SHARE (0..1) of its invocations at
                                                             REVISION2; without --weight, none (--description is kept unless given)
                  alias list NAME [--json]
                  alias delete NAME ALIAS
                  invocation get ID [--json]                 an asynchronous invocation's status, attempts and result
                  dlq NAME [--limit N] [--json]              the function's dead-letter list
                  envs [--function NAME] [--json]
                  workers [--json]
                  top [--function NAME] [--once]             workers and environments (busy / thawed / frozen), live""");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** The options of every command that talks to a controller: where it is, and the cluster's token. */
    public static Args.Spec connectionOptions() {
        return TlsFlags.add(new Args.Spec().value("endpoint").value("token-file"));
    }

    /**
     * The user's token file, {@code ~/.floe/token}: {@code floe up} and {@code floe controller} make it
     * on their first start, and every command of the same user on the same machine reads it by default.
     */
    public Path defaultTokenFile() {
        return Path.of(env.getOrDefault("HOME", "."), ".floe", "token");
    }

    /**
     * The cluster's token: read from --token-file, else {@code $FLOE_TOKEN}, else read from
     * {@link #defaultTokenFile()} if it is there; empty if none is.
     */
    public Optional<ClusterToken> token(Args args) {
        return resolveToken(args, false);
    }

    /** {@link #token}, or a usage error that says where a token comes from. */
    public ClusterToken requireToken(Args args) {
        return token(args).orElseThrow(() -> new UsageException("no cluster token (expected: --token-file FILE, $FLOE_TOKEN, or "
                + defaultTokenFile() + ", which floe up and floe controller make)"));
    }

    /** For a controller: as {@link #token}, but a token file that is not there yet is made, so a new cluster has its token. */
    public ClusterToken tokenOrCreate(Args args) {
        return resolveToken(args, true).orElseThrow();
    }

    /** Where the last token came from: a file, or {@code $FLOE_TOKEN}. */
    public String tokenSource() {
        return tokenSource;
    }

    private Optional<ClusterToken> resolveToken(Args args, boolean create) {
        Path file;
        if (args.has("token-file")) {
            file = Path.of(args.value("token-file", null));
        } else {
            String fromEnv = env.get("FLOE_TOKEN");
            if (fromEnv != null && !fromEnv.isBlank()) {
                tokenSource = "$FLOE_TOKEN";
                try {
                    return Optional.of(ClusterToken.parse(fromEnv));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("$FLOE_TOKEN: " + e.getMessage());
                }
            }
            file = defaultTokenFile();
            if (!create && !Files.exists(file)) {
                return Optional.empty();
            }
        }
        tokenSource = file.toString();
        try {
            return Optional.of(create ? ClusterToken.readOrCreate(file) : ClusterToken.read(file));
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The endpoint from --endpoint, else $FLOE_ENDPOINT, else the default. */
    public HostPort endpoint(Args args) {
        String text = args.value("endpoint", env.getOrDefault("FLOE_ENDPOINT", DEFAULT_ENDPOINT));
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--endpoint: " + e.getMessage());
        }
    }

    FloeClient connect(Args args) {
        endpoint = endpoint(args);
        ClusterToken token = requireToken(args);
        tls = TlsFlags.resolve(args, this);
        return tls.isPresent() ? FloeClient.connect(endpoint, token, tls.get()) : FloeClient.connect(endpoint, token);
    }

    private String describe(FloeException e) {
        String handshake = endpoint == null ? null : TlsFlags.explain(e, endpoint, tls);
        if (handshake != null) {
            return handshake;
        }
        if (e.type() == ErrorType.SERVICE_UNAVAILABLE && endpoint != null) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.ConnectException) {
                    return "cannot reach Floe at " + endpoint + ": connection refused"
                            + " (is a controller running there? start a local fleet with: floe up)";
                }
            }
        }
        if (e.type() == ErrorType.UNAUTHENTICATED) {
            return e.type().wireName() + ": " + e.getMessage() + "; this command sent the token from " + tokenSource;
        }
        return e.type().wireName() + ": " + e.getMessage();
    }


    static String instant(Timestamp t) {
        if (t.getSeconds() == 0 && t.getNanos() == 0) {
            return "-";
        }
        return Instant.ofEpochSecond(t.getSeconds()).toString();
    }

    static String json(MessageOrBuilder message) {
        try {
            return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    static String jsonArray(List<? extends MessageOrBuilder> messages) {
        if (messages.isEmpty()) {
            return "[]";
        }
        StringBuilder out = new StringBuilder("[\n");
        for (int i = 0; i < messages.size(); i++) {
            out.append(json(messages.get(i)).indent(2).stripTrailing());
            out.append(i < messages.size() - 1 ? ",\n" : "\n");
        }
        return out.append(']').toString();
    }
}
