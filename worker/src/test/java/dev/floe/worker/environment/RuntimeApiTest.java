package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Runtime API as processes see it on an environment's endpoint: Lambda's status codes for the
 * environment's own processes, and no way in for anyone else, another environment included.
 */
class RuntimeApiTest {
    private PoolFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void anEnvironmentCannotFetchOrAnswerAnotherEnvironmentsInvocations() {
        assumePerEnvironmentUsers();
        Function a = fixture.probe("a", FunctionConfig.newBuilder());
        Function b = fixture.probe("b", FunctionConfig.newBuilder().setTimeoutSeconds(10));
        String endpointB = (String) fixture.json(fixture.invoke(b, "{\"op\":\"env\"}")).get("AWS_LAMBDA_RUNTIME_API");
        String requestOnB = UUID.randomUUID().toString();
        var runningOnB = fixture.invokeAsync(b, "{\"op\":\"sleep\",\"seconds\":2}", false, requestOnB);
        fixture.awaitBusy(b);

        List<Map<String, Object>> calls = calls(fixture.invoke(a, http(
                call("POST", "/2018-06-01/runtime/invocation/" + requestOnB + "/response", "{\"forged\":true}", endpointB),
                call("GET", "/2018-06-01/runtime/invocation/next", null, endpointB),
                call("POST", "/2018-06-01/runtime/invocation/" + requestOnB + "/response", "{\"forged\":true}", null))));

        assertEquals(-1.0, calls.get(0).get("status"), "A cannot even talk to B's endpoint: " + calls.get(0));
        assertEquals(-1.0, calls.get(1).get("status"), "nor wait for B's invocations there: " + calls.get(1));
        assertEquals(400.0, calls.get(2).get("status"), "and its own endpoint knows nothing of B's: " + calls.get(2));
        assertTrue(((String) calls.get(2).get("body")).contains("InvalidRequestID"));
        assertEquals("{\"slept\": 2}", PoolFixture.body(runningOnB.join()), "B's invocation is untouched");
    }

    @Test
    void aProcessOutsideTheEnvironmentIsRefused() throws Exception {
        assumePerEnvironmentUsers();
        Function probe = fixture.probe("guarded", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{\"op\":\"env\"}");
        String[] hostPort = ((String) fixture.json(first).get("AWS_LAMBDA_RUNTIME_API")).split(":");

        try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(-1, read(socket.getInputStream()), "the connection is closed without an answer");
        }

        InvocationResult next = fixture.invoke(probe, "{\"op\":\"count\"}");
        assertEquals(first.environmentId(), next.environmentId(), "and the environment keeps serving");
    }

    @Test
    void callsOutOfTurnAreRefusedWithLambdasStatusCodes() {
        Function probe = fixture.probe("turns", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{}");

        List<Map<String, Object>> calls = calls(fixture.invoke(probe, http(
                call("POST", "/2018-06-01/runtime/init/error", "{}", null),
                call("GET", "/2018-06-01/runtime/nope", null, null),
                call("POST", "/2018-06-01/runtime/invocation/next", "", null),
                call("POST", "/2018-06-01/runtime/invocation/" + first.requestId() + "/response", "{}", null),
                call("POST", "/2018-06-01/runtime/invocation/" + UUID.randomUUID() + "/error", "{}", null),
                call("GET", "/2018-06-01/runtime/invocation/next", null, null))));

        assertEquals(403.0, calls.get(0).get("status"), "init/error after init: " + calls.get(0));
        assertEquals(404.0, calls.get(1).get("status"), "an unknown path: " + calls.get(1));
        assertEquals(405.0, calls.get(2).get("status"), "next is a GET: " + calls.get(2));
        assertEquals(400.0, calls.get(3).get("status"), "a finished invocation cannot be answered: " + calls.get(3));
        assertEquals(400.0, calls.get(4).get("status"), "nor an unknown one: " + calls.get(4));
        assertEquals(403.0, calls.get(5).get("status"), "no next before the current invocation is answered: " + calls.get(5));
        InvocationResult next = fixture.invoke(probe, "{\"op\":\"count\"}");
        assertEquals(first.environmentId(), next.environmentId(), "none of this disturbed the environment");
        assertEquals("", next.functionError());
    }

    @Test
    void malformedRequestsAreRefusedAndTheEnvironmentKeepsServing() {
        Function probe = fixture.probe("robust", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{}");

        List<Map<String, Object>> calls = calls(fixture.invoke(probe,
                "{\"op\":\"http\",\"calls\":[{\"raw\":\"\\u0000\\u0001garbage that is not HTTP\\r\\n\\r\\n\"}]}"));

        assertTrue(((Number) calls.getFirst().get("status")).intValue() / 100 == 4, calls.toString());
        assertEquals(first.environmentId(), fixture.invoke(probe, "{}").environmentId());
    }

    private void assumePerEnvironmentUsers() {
        Assumptions.assumeTrue(fixture.sandbox.info().users().equals("per-environment"),
                "environments here run as the worker's user: the endpoint cannot tell its processes apart");
    }

    private static String http(String... calls) {
        return "{\"op\":\"http\",\"calls\":[" + String.join(",", calls) + "]}";
    }

    private static String call(String method, String path, String body, String endpoint) {
        Map<String, Object> call = new java.util.LinkedHashMap<>();
        call.put("method", method);
        call.put("path", path);
        if (body != null) {
            call.put("body", body);
        }
        if (endpoint != null) {
            call.put("endpoint", endpoint);
        }
        return new Gson().toJson(call);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(InvocationResult result) {
        assertEquals("", result.functionError(), PoolFixture.body(result));
        return new Gson().fromJson(PoolFixture.body(result), List.class);
    }

    private static int read(InputStream in) {
        try {
            return in.read();
        } catch (IOException reset) {
            return -1;
        }
    }

}
