package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.floe.common.CodePackages;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Managed runtimes and response streaming through the whole fleet: the command line creates a python3
 * function from a directory without a bootstrap, and a streamed response reaches the client (and
 * {@code floe invoke --stream}) piece by piece through the controller.
 */
class RuntimesFleetTest {
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws IOException {
        fleet = new FleetFixture(1);
        byte[] streamer;
        try (InputStream in = RuntimesFleetTest.class.getResourceAsStream("streaming-bootstrap")) {
            streamer = CodePackages.zipFiles(Map.of("bootstrap", new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        fleet.client.createFunction("streamer", streamer, FunctionConfig.newBuilder().setRuntime("provided")
                .setHandler("stream").setTimeoutSeconds(30).build());
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void aPythonFunctionFromADirectoryRunsWithoutABootstrap() throws IOException {
        Path code = Files.createDirectories(fleet.data.resolve("py-code"));
        Files.writeString(code.resolve("app.py"), """
                def handler(event, context):
                    return {"hello": event["name"], "function": context.function_name}
                """);

        FleetFixture.Result created = fleet.floe("fn", "create", "hello-py", "--code", code.toString(), "--runtime", "python3",
                "--handler", "app.handler");
        FleetFixture.Result invoked = fleet.floe("invoke", "hello-py", "--payload", "{\"name\":\"floe\"}");

        assertEquals(0, created.status(), created.err());
        assertEquals(0, invoked.status(), invoked.err());
        JsonObject body = JsonParser.parseString(invoked.out()).getAsJsonObject();
        assertEquals("floe", body.get("hello").getAsString());
        assertEquals("hello-py", body.get("function").getAsString());
    }

    @Test
    void aStreamedResponseReachesTheClientAsItIsSent() throws IOException {
        Path scratch = fleet.scratch;
        Path gate = scratch.resolve("first-chunk-arrived");
        List<String> chunks = new ArrayList<>();

        InvokeResponse done = fleet.client.invokeStream(InvokeRequest.newBuilder().setFunction("streamer")
                .setPayload(ByteString.copyFromUtf8("{\"chunks\":3,\"gate\":\"" + gate + "\"}")).build(), chunk -> {
                    chunks.add(chunk.toStringUtf8());
                    try {
                        // The runtime sends its last piece only once this exists: the first came before the last was sent.
                        Files.writeString(gate, "yes");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });

        // Pieces sent together may travel as one message (the worker forwards what one read brings),
        // but the first reached the client before the runtime, waiting on the gate, sent the last.
        assertTrue(chunks.getFirst().startsWith("chunk 0;") && !chunks.getFirst().contains("last"), chunks.toString());
        assertEquals("chunk 0;chunk 1;last", String.join("", chunks));
        assertEquals("", done.getFunctionError());
        assertEquals("streamer", done.getFunction());
    }

    @Test
    void floeInvokeStreamPrintsTheChunksAndAnErrorAfterThem() {
        FleetFixture.Result whole = fleet.floe("invoke", "streamer", "--stream", "--payload", "{\"chunks\":3}");
        FleetFixture.Result failed = fleet.floe("invoke", "streamer", "--stream", "--payload", "{\"chunks\":2,\"fail\":true}");

        assertEquals(0, whole.status(), whole.err());
        assertEquals("chunk 0;chunk 1;chunk 2;\n", whole.out());
        assertEquals(0, failed.status(), failed.err());
        assertTrue(failed.out().startsWith("chunk 0;chunk 1;"), failed.out());
        assertTrue(failed.out().contains("broke midway"), failed.out());
        assertTrue(failed.err().contains("floe: the function failed (Unhandled, StreamBroke)"), failed.err());
    }
}
