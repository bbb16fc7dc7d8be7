package dev.floe.client.cli;

import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.proto.AsyncInvocation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code floe invoke --async}, {@code floe invocation get} and {@code floe dlq}: asynchronous invocations. */
final class AsyncCommands {
    /** Lines sent in one call, each call one transaction on the controller: big enough that a sync is paid per thousand. */
    static final int BATCH_LINES = 1000;
    /** Bytes sent in one call at most, well under the controller's message limit. */
    static final int BATCH_BYTES = 4 * 1024 * 1024;

    private final Cli cli;

    AsyncCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe invocation get}. */
    static FloeCommand invocationCommand() {
        return FloeCommand.named("invocation").section(FloeCommand.Section.FUNCTIONS)
                .summary("asynchronous invocations: invocation get ID")
                .subcommand(FloeCommand.named("get").synopsis("invocation get ID [--json]")
                        .summary("an asynchronous invocation's status, attempts and result")
                        .options(Cli.connectionOptions(new Args.Spec().positional("ID", "the id floe invoke --async printed")
                                .flag("json", "print the invocation as JSON")))
                        .runs((args, cli) -> new AsyncCommands(cli).invocation(args)).build())
                .build();
    }

    /** {@code floe dlq}. */
    static FloeCommand deadLettersCommand() {
        return FloeCommand.named("dlq").section(FloeCommand.Section.FUNCTIONS).synopsis("dlq NAME [--limit N] [--json]")
                .summary("the function's dead-letter list: events that failed every attempt, were too old to run,"
                        + " or whose function was deleted")
                .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")
                        .value("limit", "N", "at most N entries, 1..100000 (default 1000)")
                        .flag("json", "print the entries as JSON")))
                .runs((args, cli) -> new AsyncCommands(cli).deadLetters(args)).build();
    }

    /** {@code invoke NAME --async}: queues the payload, or one per line of --payload-lines, and prints each id once it is on disk. */
    int invoke(String name, Args args) {
        if (!args.flag("async")) {
            throw new UsageException("--payload-lines queues asynchronous invocations (expected: --async with it)");
        }
        if (args.flag("tail") || args.flag("json")) {
            throw new UsageException("--tail and --json show a synchronous answer (expected: neither with --async; see floe invocation get ID)");
        }
        int sources = (args.has("payload") ? 1 : 0) + (args.has("payload-file") ? 1 : 0) + (args.has("payload-lines") ? 1 : 0);
        if (sources > 1) {
            throw new UsageException("give one of --payload, --payload-file or --payload-lines");
        }
        try (FloeClient client = cli.connect(args)) {
            if (!args.has("payload-lines")) {
                byte[] payload = InvokeCommands.payload(args);
                cli.out().println(client.invokeQueued(name, qualifier(args), List.of(ByteString.copyFrom(payload))).getFirst());
                return 0;
            }
            String file = args.value("payload-lines", null);
            try (BufferedReader lines = open(file)) {
                List<ByteString> batch = new ArrayList<>();
                int bytes = 0;
                int lineNumber = 0;
                String line;
                while ((line = lines.readLine()) != null) {
                    lineNumber++;
                    if (line.isBlank()) {
                        continue;
                    }
                    checkJson(file, lineNumber, line);
                    ByteString payload = ByteString.copyFromUtf8(line);
                    if (!batch.isEmpty() && (batch.size() >= BATCH_LINES || bytes + payload.size() > BATCH_BYTES)) {
                        send(client, name, qualifier(args), batch);
                        batch.clear();
                        bytes = 0;
                    }
                    batch.add(payload);
                    bytes += payload.size();
                }
                if (!batch.isEmpty()) {
                    send(client, name, qualifier(args), batch);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("--payload-lines: cannot read " + file + " (" + e.getMessage() + ")", e);
            }
            return 0;
        }
    }

    private static String qualifier(Args args) {
        return args.value("qualifier", "");
    }

    private void send(FloeClient client, String name, String qualifier, List<ByteString> batch) {
        StringBuilder ids = new StringBuilder();
        for (String id : client.invokeQueued(name, qualifier, batch)) {
            ids.append(id).append('\n');
        }
        cli.out().print(ids);
        cli.out().flush();
    }

    private static BufferedReader open(String file) throws IOException {
        if (file.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        try {
            return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException("--payload-lines: no such file: " + file + " (expected: a file with one JSON event per line, or - for stdin)");
        }
    }

    private static void checkJson(String file, int lineNumber, String line) {
        try {
            JsonParser.parseString(line);
        } catch (RuntimeException e) {
            throw new UsageException("--payload-lines " + file + ", line " + lineNumber
                    + ": not valid JSON (expected one JSON document per line; the lines before it were queued)");
        }
    }

    /** {@code invocation get ID}. */
    int invocation(Args args) {
        String id = args.positional(1, "one invocation id").getFirst();
        try (FloeClient client = cli.connect(args)) {
            AsyncInvocation inv = client.invocation(id);
            if (args.flag("json")) {
                cli.out().println(Cli.json(inv));
                return 0;
            }
            Table table = new Table("FIELD", "VALUE")
                    .row("id", inv.getInvocationId())
                    .row("function", inv.getFunction())
                    .row("status", status(inv.getStatus()))
                    .row("attempts", inv.getAttempts())
                    .row("accepted", Cli.instant(inv.getAcceptedAt()))
                    .row("updated", Cli.instant(inv.getUpdatedAt()));
            if (inv.hasNextAttemptAt() && inv.getStatus() == AsyncInvocation.Status.FAILED) {
                table.row("next attempt", Cli.instant(inv.getNextAttemptAt()));
            }
            if (!inv.getRequestId().isEmpty()) {
                table.row("request id", inv.getRequestId());
                table.row("revision", inv.getRevision());
            }
            if (!inv.getFunctionError().isEmpty()) {
                table.row("function error", inv.getFunctionError() + " (" + inv.getErrorType() + ")");
            } else if (!inv.getErrorType().isEmpty()) {
                table.row("error", inv.getErrorType() + ": " + inv.getErrorMessage());
            }
            if (!inv.getDeadLetterReason().isEmpty()) {
                table.row("dead-letter reason", inv.getDeadLetterReason());
            }
            if (!inv.getResult().isEmpty()) {
                table.row("result", inv.getResult().toStringUtf8());
            }
            table.print(cli.out());
            return 0;
        }
    }

    /** {@code dlq NAME}. */
    int deadLetters(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        int limit = args.integer("limit", 1, 100_000, 1000);
        try (FloeClient client = cli.connect(args)) {
            List<AsyncInvocation> dead = client.deadLetters(name, limit);
            if (args.flag("json")) {
                cli.out().println(Cli.jsonArray(dead));
                return 0;
            }
            Table table = new Table("ID", "ACCEPTED", "ATTEMPTS", "REASON", "LAST ERROR");
            for (AsyncInvocation inv : dead) {
                String error = inv.getErrorType().isEmpty() ? "-" : inv.getErrorType();
                table.row(inv.getInvocationId(), Cli.instant(inv.getAcceptedAt()), inv.getAttempts(), inv.getDeadLetterReason(), error);
            }
            table.print(cli.out());
            return 0;
        }
    }

    static String status(AsyncInvocation.Status status) {
        return switch (status) {
            case QUEUED -> "queued";
            case RUNNING -> "running";
            case SUCCEEDED -> "succeeded";
            case FAILED -> "failed (retry scheduled)";
            case DEAD_LETTERED -> "dead-lettered";
            default -> "unknown";
        };
    }
}
