package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.controller.Controller;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.testing.ProbeFunction;
import dev.floe.testing.TestDirs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * The Lambda API's front door on a controller alone (no function runs here): SigV4 checked for real
 * when keys are configured, both ways, with the AWS SDK's own signer, and by default with a key the
 * controller made; an unsigned request refused before its body is read; bodies refused with a 413 as
 * soon as they pass their operation's limit; and bytes that are not HTTP or not JSON refused with a
 * clear 400 that leaves the server serving.
 */
class LambdaApiAuthIT {
    private static Path data;
    private static Controller keyed;
    private static Controller open;
    /** Built with no keys given: it makes its own. */
    private static Controller byDefault;

    @BeforeAll
    static void start() throws Exception {
        data = TestDirs.create("lambda-auth");
        keyed = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("keyed"))
                .lambdaCredentials(LambdaCredentials.of(Map.of("AKIDFLOETEST", "the-secret/with+chars"))).build().start();
        open = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("open"))
                .lambdaCredentials(LambdaCredentials.anyone()).build().start();
        byDefault = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("default")).build().start();
    }

    @AfterAll
    static void stop() {
        keyed.close();
        open.close();
        byDefault.close();
        TestDirs.delete(data);
    }

    private static URI endpoint(Controller controller) {
        return URI.create("http://127.0.0.1:" + controller.lambdaPort());
    }

    @Test
    void aConfiguredKeySignsEveryOperationThrough() {
        try (LambdaClient lambda = LambdaSdkIT.client(endpoint(keyed), "AKIDFLOETEST", "the-secret/with+chars")) {
            lambda.createFunction(r -> r.functionName("signed").runtime(Runtime.PROVIDED).handler("probe.handler")
                    .code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip()))));
            // An ARN in the path and a $ in the query: both are encoded, and signed encoded once more.
            String arn = lambda.getFunction(r -> r.functionName("signed")).configuration().functionArn();
            assertEquals("signed", lambda.getFunctionConfiguration(r -> r.functionName(arn).qualifier("$LATEST")).functionName());
            assertEquals(1, lambda.listFunctions(r -> r.maxItems(5)).functions().size());
            lambda.deleteFunction(r -> r.functionName("signed"));
        }
    }

    @Test
    void aWrongSecretOrAnUnknownKeyIsRefused() {
        try (LambdaClient wrongSecret = LambdaSdkIT.client(endpoint(keyed), "AKIDFLOETEST", "not-the-secret");
                LambdaClient unknownKey = LambdaSdkIT.client(endpoint(keyed), "AKIDSTRANGER", "the-secret/with+chars")) {
            LambdaException signature = assertThrows(LambdaException.class, wrongSecret::listFunctions);
            assertEquals(403, signature.statusCode());
            assertEquals("InvalidSignatureException", signature.awsErrorDetails().errorCode());
            assertTrue(signature.getMessage().contains("signature we calculated does not match"), signature.getMessage());

            LambdaException unknown = assertThrows(LambdaException.class, () -> unknownKey.createFunction(r -> r.functionName("x")
                    .runtime(Runtime.PROVIDED).handler("h").code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip())))));
            assertEquals(403, unknown.statusCode());
            assertEquals("UnrecognizedClientException", unknown.awsErrorDetails().errorCode());
        }
        assertTrue(keyed.lambdaCredentials().required());
    }

    @Test
    void anUnsignedRequestIsRefusedWhenKeysAreRequiredAndServedWhenNot() throws Exception {
        HttpResponse<String> refused = get(keyed, "/2015-03-31/functions/");
        assertEquals(403, refused.statusCode());
        assertEquals("UnrecognizedClientException", refused.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
        assertTrue(refused.body().contains("\"Type\":\"User\""), refused.body());

        HttpResponse<String> served = get(open, "/2015-03-31/functions/");
        assertEquals(200, served.statusCode());
        assertEquals("{\"Functions\":[]}", served.body());
    }

    @Test
    void byDefaultOnlyTheKeyTheControllerMadeIsAccepted() throws Exception {
        LambdaCredentials.Key key = byDefault.lambdaCredentials().first().orElseThrow();
        try (LambdaClient lambda = LambdaSdkIT.client(endpoint(byDefault), key.id(), key.secret());
                LambdaClient guess = LambdaSdkIT.client(endpoint(byDefault), "AKIDANYTHING", "any-secret")) {
            lambda.createFunction(r -> r.functionName("made").runtime(Runtime.PROVIDED).handler("probe.handler")
                    .code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip()))));
            assertEquals("made", lambda.getFunction(r -> r.functionName("made")).configuration().functionName());
            LambdaException refused = assertThrows(LambdaException.class, () -> guess.getFunction(r -> r.functionName("made")));
            assertEquals(403, refused.statusCode());
            assertEquals("UnrecognizedClientException", refused.awsErrorDetails().errorCode());
        }
        assertEquals(403, get(byDefault, "/2015-03-31/functions/made").statusCode(), "unsigned");
    }

    /** Issue 10: an unsigned upload is answered before its body is sent, so none of its 60 MB is read. */
    @Test
    void anUnsignedOrUnknownKeysRequestIsRefusedBeforeItsBodyIsRead() throws Exception {
        String unknownKey = "AWS4-HMAC-SHA256 Credential=AKIDSTRANGER/20260101/us-east-1/lambda/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=00";
        for (String authorization : new String[] {null, unknownKey}) {
            try (Socket socket = new Socket("127.0.0.1", byDefault.lambdaPort())) {
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write(("POST /2015-03-31/functions HTTP/1.1\r\nHost: floe\r\nContent-Length: 60000000\r\n"
                        + (authorization == null ? "" : "Authorization: " + authorization + "\r\nX-Amz-Date: 20260101T000000Z\r\n")
                        + "\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.startsWith("HTTP/1.1 403"), reply);
                assertTrue(reply.contains("UnrecognizedClientException"), reply);
            }
        }
        try (var left = java.nio.file.Files.list(data.resolve("default").resolve("uploads"))) {
            assertEquals(0, left.count(), "nothing of the bodies was kept");
        }
    }

    @Test
    void aBodyIsRefusedAsSoonAsItPassesItsOperationsLimitDeclaredOrNot() throws Exception {
        // Chunked, so no length is declared: the 413 comes once 6 MB have arrived, while the client is still sending.
        try (Socket socket = new Socket("127.0.0.1", open.lambdaPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write("POST /2015-03-31/functions/any/invocations HTTP/1.1\r\nHost: floe\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; i < 200; i++) { // 12.5 MB, if the server read it all
                        out.write(chunk);
                    }
                } catch (java.io.IOException closed) {
                    // the server answered and closed: expected
                }
            });
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            sender.join();
            assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
            assertTrue(reply.contains("payload: more than 6291456 bytes (expected: at most 6291456 for a synchronous invocation)"), reply);
        }
        HttpResponse<String> config = send(open, HttpRequest.newBuilder(endpoint(open).resolve("/2015-03-31/functions/any/configuration"))
                .expectContinue(true).PUT(HttpRequest.BodyPublishers.ofString("{\"Description\":\"" + "d".repeat(2 << 20) + "\"}")).build());
        assertEquals(413, config.statusCode());
        assertTrue(config.body().contains("request body: 2097170 bytes (expected: at most 1048576 for UpdateFunctionConfiguration)"),
                config.body());
        assertEquals(200, get(open, "/2015-03-31/functions/").statusCode(), "the server serves on");
    }

    @Test
    void malformedJsonGetsAClear400() throws Exception {
        HttpResponse<String> response = send(open, HttpRequest.newBuilder(endpoint(open).resolve("/2015-03-31/functions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"FunctionName\": \"x\", ")).build());
        assertEquals(400, response.statusCode());
        assertEquals("InvalidParameterValueException", response.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
        assertTrue(response.body().contains("not valid JSON"), response.body());

        HttpResponse<String> wrongType = send(open, HttpRequest.newBuilder(endpoint(open).resolve("/2015-03-31/functions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"FunctionName\":\"x\",\"MemorySize\":\"lots\",\"Code\":{\"ZipFile\":\"UEs=\"}}")).build());
        assertEquals(400, wrongType.statusCode());
        assertTrue(wrongType.body().contains("MemorySize: \\\"lots\\\" (expected: an integer)"), wrongType.body());

        HttpResponse<String> unknownPath = get(open, "/2018-10-31/layers"); // ListLayers, not served
        assertEquals(404, unknownPath.statusCode());
        assertEquals("UnknownOperationException", unknownPath.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
    }

    @Test
    void bytesThatAreNotHttpGetA400AndTheServerServesOn() throws Exception {
        // Many times: the answer must arrive whole however the client's bytes and the close interleave.
        for (int i = 0; i < 40; i++) {
            Controller controller = i % 2 == 0 ? open : keyed;
            try (Socket socket = new Socket("127.0.0.1", controller.lambdaPort())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(new byte[] {0, 1, 2, (byte) 0xff, 'G', 'E', 'T', '\r', '\n'});
                out.write("\u0000garbage \u0007 not http\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = socket.getInputStream();
                String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(reply.startsWith("HTTP/1.1 400"), reply);
                assertTrue(reply.contains("InvalidParameterValueException"), reply);
            }
        }
        assertEquals(200, get(open, "/2015-03-31/functions/").statusCode());
    }

    private static HttpResponse<String> get(Controller controller, String path) throws Exception {
        return send(controller, HttpRequest.newBuilder(endpoint(controller).resolve(path)).GET().build());
    }

    private static HttpResponse<String> send(Controller controller, HttpRequest request) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }
}
