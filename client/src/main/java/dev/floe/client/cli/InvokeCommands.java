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

    int invoke(List<String> argv) {
        Args args = Args.parse("invoke", argv, Cli.connectionOptions().value("payload").value("payload-file")
                .flag("tail").flag("json").flag("stream").flag("async").value("payload-lines").value("qualifier"));
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
