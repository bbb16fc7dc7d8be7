package dev.floe.worker.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Runtime API as a runtime (or a misbehaving process) sees it on an environment's endpoint:
 * Lambda's status codes, and no way into another environment's invocations.
 */
class RuntimeApiTest {
    private PoolFixture fixture;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        fixture = PoolFixture.standard();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void anEnvironmentCannotAnswerAnotherEnvironmentsInvocation() throws Exception {
        Function a = fixture.probe("a", FunctionConfig.newBuilder());
        Function b = fixture.probe("b", FunctionConfig.newBuilder());
        String endpointA = (String) fixture.json(fixture.invoke(a, "{\"op\":\"env\"}")).get("AWS_LAMBDA_RUNTIME_API");
        String requestOnB = java.util.UUID.randomUUID().toString();
        var runningOnB = fixture.invokeAsync(b, "{\"op\":\"sleep\",\"seconds\":1}", false, requestOnB);
        fixture.awaitBusy(b);

        HttpResponse<String> answer = post(endpointA, "/2018-06-01/runtime/invocation/" + requestOnB + "/response", "{}");

        assertEquals(400, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"errorType\":\"InvalidRequestID\""), answer.body());
        assertEquals("", runningOnB.join().functionError(), "b's invocation is untouched");
        assertEquals("{\"slept\": 1}", PoolFixture.body(runningOnB.join()));
    }

    @Test
    void callsOutOfTurnAreRefusedWithLambdasStatusCodes() throws Exception {
        Function probe = fixture.probe("turns", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{\"op\":\"env\"}");
        String endpoint = (String) fixture.json(first).get("AWS_LAMBDA_RUNTIME_API");

        HttpResponse<String> initErrorAfterInit = post(endpoint, "/2018-06-01/runtime/init/error", "{}");
        HttpResponse<String> unknownPath = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/2018-06-01/runtime/nope"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(
                URI.create("http://" + endpoint + "/2018-06-01/runtime/invocation/next")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> secondNext = http.send(HttpRequest.newBuilder(
                URI.create("http://" + endpoint + "/2018-06-01/runtime/invocation/next")).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> answeredAgain = post(endpoint, "/2018-06-01/runtime/invocation/" + first.requestId() + "/response", "{}");

        assertEquals(403, initErrorAfterInit.statusCode(), initErrorAfterInit.body());
        assertEquals(404, unknownPath.statusCode());
        assertEquals(405, wrongMethod.statusCode());
        assertEquals(403, secondNext.statusCode(), "the runtime's own request for work is already waiting: " + secondNext.body());
        assertEquals(400, answeredAgain.statusCode(), "a finished invocation cannot be answered again: " + answeredAgain.body());
        InvocationResult next = fixture.invoke(probe, "{\"op\":\"count\"}");
        assertEquals(first.environmentId(), next.environmentId(), "none of this disturbed the environment");
        assertEquals("", next.functionError());
    }

    @Test
    void malformedRequestsAreRefusedAndTheEnvironmentKeepsServing() throws Exception {
        Function probe = fixture.probe("robust", FunctionConfig.newBuilder());
        InvocationResult first = fixture.invoke(probe, "{\"op\":\"env\"}");
        String[] hostPort = ((String) fixture.json(first).get("AWS_LAMBDA_RUNTIME_API")).split(":");

        try (java.net.Socket socket = new java.net.Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("\u0000\u0001garbage that is not HTTP\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String reply = new String(socket.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(reply.startsWith("HTTP/1.1 4"), reply);
        }

        assertEquals(first.environmentId(), fixture.invoke(probe, "{}").environmentId());
    }

    private HttpResponse<String> post(String endpoint, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
