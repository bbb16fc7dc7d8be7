package dev.floe.client.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.floe.client.FloeClient;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code floe invoke}: a synchronous invocation, whole or streamed ({@code --async} is {@link AsyncCommands}'). */
final class InvokeCommands {
    private final Cli cli;

    InvokeCommands(Cli cli) {
        this.cli = cli;
    }

    /** {@code floe invoke}, synchronous, streamed or ({@link AsyncCommands}) queued. */
    static FloeCommand command() {
        return FloeCommand.named("invoke").section(FloeCommand.Section.FUNCTIONS)
                .synopsis("invoke NAME [--payload JSON | --payload-file FILE] [--tail] [--json] [--stream] [--qualifier Q]",
                        "invoke NAME --async [--payload JSON | --payload-file FILE | --payload-lines FILE] [--qualifier Q]")
                .summary("runs a function and prints its response; with --async, queues invocations and prints one id per line")
                .description("""
                        An invocation that ran exits 0, function errors included: --json says functionError and errorType.
                        --async prints each id once the invocation is on disk; floe invocation get ID follows it.""")
                .options(Cli.connectionOptions(new Args.Spec().positional("NAME", "the function's name")
                        .value("payload", "JSON", "the event (default {})")
                        .value("payload-file", "FILE", "the event from FILE, - for stdin")
                        .flag("tail", "also print the last 4 KB of the invocation's log (to stderr, or logTail with --json)")
                        .flag("json", "print one JSON object: requestId, payload, functionError, errorType, cold, environmentId,"
                                + " workerId, revision, durationMs, billedDurationMs, initDurationMs, logTail...")
                        .flag("stream", "print a streamed response as its pieces come")
                        .flag("async", "queue the invocation (Lambda's Event type) instead of waiting for it")
                        .value("payload-lines", "FILE", "with --async: one invocation per line of FILE (- for stdin)")
                        .value("qualifier", "Q", "$LATEST (default), a revision number or an alias")))
                .runs((args, cli) -> new InvokeCommands(cli).invoke(args)).build();
    }

    int invoke(Args args) {
        String name = args.positional(1, "one function name").getFirst();
        if (args.flag("async") || args.has("payload-lines")) {
            return new AsyncCommands(cli).invoke(name, args);
        }
        if (args.has("payload") && args.has("payload-file")) {
            throw new UsageException("give --payload or --payload-file, not both");
        }
        byte[] payload = payload(args);
        if (args.flag("stream") && args.flag("json")) {
            throw new UsageException("give --stream or --json, not both");
        }
        if (args.flag("stream")) {
            return invokeStream(args, name, payload);
        }
        try (FloeClient client = cli.connect(args)) {
            InvokeResponse response = client.invoke(InvokeRequest.newBuilder().setFunction(name).setQualifier(args.value("qualifier", ""))
                    .setPayload(ByteString.copyFrom(payload)).setTailLog(args.flag("tail")).build());
            if (args.flag("json")) {
                cli.out().println(invokeJson(response, args.flag("tail")));
                return 0;
            }
            cli.out().println(response.getPayload().toStringUtf8());
            if (args.flag("tail")) {
                cli.err().print(response.getLogTail());
            }
            if (!response.getFunctionError().isEmpty()) {
                cli.err().println("floe: the function failed (" + response.getFunctionError() + ", " + response.getErrorType() + ")");
            }
            return 0;
        }
    }

    /** Prints a streamed response as its pieces come. */
    private int invokeStream(Args args, String name, byte[] payload) {
        try (FloeClient client = cli.connect(args)) {
            InvokeResponse response = client.invokeStream(InvokeRequest.newBuilder().setFunction(name).setQualifier(args.value("qualifier", ""))
                    .setPayload(ByteString.copyFrom(payload)).setTailLog(args.flag("tail")).build(), chunk -> {
                        // Bytes as they come: a character split between two pieces is whole on the terminal.
                        cli.out().write(chunk.toByteArray(), 0, chunk.size());
                        cli.out().flush();
                    });
            if (!response.getPayload().isEmpty()) {
                cli.out().print(response.getPayload().toStringUtf8());
            }
            cli.out().println();
            if (args.flag("tail")) {
                cli.err().print(response.getLogTail());
            }
            if (!response.getFunctionError().isEmpty()) {
                cli.err().println("floe: the function failed (" + response.getFunctionError() + ", " + response.getErrorType() + ")");
            }
            return 0;
        }
    }

    /** --payload, else --payload-file ({@code -}: stdin), else {@code {}}; checked to be JSON. {@code invoke --async} takes it too. */
    static byte[] payload(Args args) {
        byte[] payload;
        String source;
        if (args.has("payload-file")) {
            String file = args.value("payload-file", null);
            source = "--payload-file " + file;
            try {
                payload = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            } catch (IOException e) {
                throw new UsageException("--payload-file: cannot read " + file + " (" + e.getMessage() + ")");
            }
        } else {
            source = "--payload";
            payload = args.value("payload", "{}").getBytes(StandardCharsets.UTF_8);
        }
        try {
            JsonParser.parseString(new String(payload, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new UsageException(source + ": not valid JSON (expected a JSON document, e.g. '{\"key\":\"value\"}')");
        }
        return payload;
    }

    static String invokeJson(InvokeResponse r, boolean tail) {
        JsonObject o = new JsonObject();
        o.addProperty("requestId", r.getRequestId());
        o.addProperty("payload", r.getPayload().toStringUtf8());
        if (!r.getFunctionError().isEmpty()) {
            o.addProperty("functionError", r.getFunctionError());
        }
        o.addProperty("errorType", r.getErrorType());
        o.addProperty("cold", r.getCold());
        o.addProperty("environmentId", r.getEnvironmentId());
        o.addProperty("workerId", r.getWorkerId());
        o.addProperty("function", r.getFunction());
        o.addProperty("revision", r.getRevision());
        o.addProperty("durationMs", Math.round(r.getDurationMs() * 1000) / 1000.0);
        o.addProperty("billedDurationMs", r.getBilledDurationMs());
        if (r.getCold()) {
            o.addProperty("initDurationMs", Math.round(r.getInitDurationMs() * 1000) / 1000.0);
        }
        o.addProperty("memorySizeMb", r.getMemorySizeMb());
        o.addProperty("maxMemoryUsedMb", r.getMaxMemoryUsedMb());
        if (tail) {
            o.addProperty("logTail", r.getLogTail());
        }
        return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
    }
}
