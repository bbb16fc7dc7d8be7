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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code floe} command line: the commands every module declares ({@link FloeCommand}, found
 * through {@link CommandProvider}), parsed by picocli; the help; the mapping of errors to one line and
 * an exit status; and what the commands share: the output streams, the endpoint, the token, TLS and
 * connecting. Every command that talks to a fleet takes
 * {@code --endpoint HOST:PORT} (default {@code $FLOE_ENDPOINT}, else {@code 127.0.0.1:7070}) and
 * {@code --token-file FILE} (default {@code $FLOE_TOKEN}, else {@code ~/.floe/token}).
 * Exit status: 0 done (an invocation that ran, function errors included), 1 refused by Floe or Floe
 * unreachable, 2 a wrong command line.
 */
public final class Cli {
    public static final String DEFAULT_ENDPOINT = "127.0.0.1:7070";

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final List<FloeCommand> commands;
    /** The last endpoint a command connected to, to explain a refused connection. */
    private HostPort endpoint;
    /** Where the last token came from, to explain a refused one. */
    private String tokenSource;
    /** The last connection's TLS files (empty: plaintext), to explain a failed handshake. */
    private Optional<dev.floe.common.tls.ClusterTls> tls = Optional.empty();

    /** The command line with every command on the class path ({@link #discover()}). */
    public Cli(PrintStream out, PrintStream err, Map<String, String> env) {
        this(out, err, env, discover());
    }

    public Cli(PrintStream out, PrintStream err, Map<String, String> env, List<FloeCommand> commands) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.commands = List.copyOf(commands);
    }

    /**
     * Every command the modules on the class path provide, by section, then provider, in each
     * provider's order; a name declared twice is a build mistake and fails here.
     */
    public static List<FloeCommand> discover() {
        List<CommandProvider> providers = new ArrayList<>();
        ServiceLoader.load(CommandProvider.class, Cli.class.getClassLoader()).forEach(providers::add);
        providers.sort(Comparator.comparing(p -> p.getClass().getName()));
        List<FloeCommand> all = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (CommandProvider provider : providers) {
            for (FloeCommand command : provider.commands()) {
                if (!names.add(command.name())) {
                    throw new IllegalStateException("command " + command.name() + " declared twice (expected: one provider per command)");
                }
                all.add(command);
            }
        }
        // A stable sort: within a section, providers keep their order and each provider its own.
        all.sort(Comparator.comparing(FloeCommand::section));
        return List.copyOf(all);
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

    /** The commands this command line runs, in the order its help lists them. */
    public List<FloeCommand> commands() {
        return commands;
    }

    public int run(String... argv) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            if (argv.length > 1 && argv[0].equals("help")) {
                if (argv[1].equals("--markdown")) {
                    out.print(Reference.markdown(commands));
                    return 0;
                }
                return run(concat(Arrays.copyOfRange(argv, 1, argv.length), "--help"));
            }
            Help.print(out, commands);
            return argv.length == 0 ? 2 : 0;
        }
        if (argv[0].equals("--version")) {
            return run(concat(new String[] {"version"}));
        }
        try {
            CommandLine.ParseResult parsed = leaf(argv);
            if (parsed.isUsageHelpRequested()) {
                out.print(CommandLines.usage(parsed.commandSpec().commandLine()));
                return 0;
            }
            return runnable(parsed).action().run(Args.of(path(parsed.commandSpec()), parsed), this);
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

    /**
     * Parses {@code argv} as {@link #run} does, and runs nothing: the command it names ({@code fn create}),
     * or a {@link UsageException} that says what is wrong. The deploy kits' tests check their command lines with it.
     */
    public String parse(String... argv) {
        CommandLine.ParseResult parsed = leaf(argv);
        runnable(parsed);
        return path(parsed.commandSpec());
    }

    /** What picocli makes of {@code argv}, for the deepest command it names. */
    private CommandLine.ParseResult leaf(String... argv) {
        CommandLine.ParseResult parsed;
        try {
            parsed = CommandLines.tree(commands).parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            throw mistake(e);
        }
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return parsed;
    }

    /** The command {@code parsed} names, if it runs something; a group of subcommands alone does not. */
    private FloeCommand runnable(CommandLine.ParseResult parsed) {
        if (!(parsed.commandSpec().userObject() instanceof FloeCommand command)) {
            throw new UsageException("no command (expected one of: " + names(commands) + "; see floe help)");
        }
        if (command.action() == null) {
            throw new UsageException("'" + path(parsed.commandSpec()) + "' needs a subcommand (expected one of: "
                    + names(command.subcommands()) + ")");
        }
        return command;
    }

    /** A command line picocli refused, in floe's words: which command or option, and what was expected. */
    private UsageException mistake(CommandLine.ParameterException e) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        String path = path(spec);
        if (!(spec.userObject() instanceof FloeCommand command)) {
            String first = e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                    ? u.getUnmatched().getFirst() : String.valueOf(e.getMessage());
            return new UsageException("unknown command '" + first + "' (expected one of: " + names(commands) + "; see floe help)");
        }
        if (command.action() == null && e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().getFirst().startsWith("-")) {
            return new UsageException("unknown subcommand '" + path + " " + u.getUnmatched().getFirst() + "' (expected one of: "
                    + names(command.subcommands()) + ")");
        }
        return Args.usage(path, command.options(), e);
    }

    /** {@code fn create} for the command {@code floe fn create}. */
    private static String path(CommandSpec spec) {
        String qualified = spec.qualifiedName(" ");
        return qualified.startsWith("floe ") ? qualified.substring("floe ".length()) : qualified;
    }

    private static String names(List<FloeCommand> commands) {
        return String.join(", ", commands.stream().map(FloeCommand::name).toList());
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** The options of every command that talks to a controller: where it is, and the cluster's token. */
    public static Args.Spec connectionOptions() {
        return connectionOptions(new Args.Spec());
    }

    /** {@code spec} with the {@link #connectionOptions()} after its own. */
    public static Args.Spec connectionOptions(Args.Spec spec) {
        return spec.group("connection", s -> TlsFlags.add(s
                .value("endpoint", "HOST:PORT[,...]", "the controller, or several of a cluster, tried in turn (default $FLOE_ENDPOINT, else " + DEFAULT_ENDPOINT + ")")
                .value("token-file", "FILE", "the cluster's token (default $FLOE_TOKEN, which holds the token itself, else"
                        + " ~/.floe/token, which floe up and floe controller make)")));
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

    /** The (first) endpoint from --endpoint, else $FLOE_ENDPOINT, else the default. */
    public HostPort endpoint(Args args) {
        return endpoints(args).getFirst();
    }

    /** Every endpoint from --endpoint H:P[,H:P...] (a cluster of controllers), else $FLOE_ENDPOINT, else the default. */
    public List<HostPort> endpoints(Args args) {
        String text = args.value("endpoint", env.getOrDefault("FLOE_ENDPOINT", DEFAULT_ENDPOINT));
        try {
            List<HostPort> all = java.util.Arrays.stream(text.split(",")).map(String::strip).filter(t -> !t.isEmpty())
                    .map(HostPort::parse).toList();
            if (all.isEmpty()) {
                throw new IllegalArgumentException("address: empty (expected: HOST:PORT[,HOST:PORT...])");
            }
            return all;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--endpoint: " + e.getMessage());
        }
    }

    FloeClient connect(Args args) {
        List<HostPort> all = endpoints(args);
        endpoint = all.getFirst();
        ClusterToken token = requireToken(args);
        tls = TlsFlags.resolve(args, this);
        return tls.isPresent() ? FloeClient.connect(all, token, tls.get()) : FloeClient.connect(all, token);
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
