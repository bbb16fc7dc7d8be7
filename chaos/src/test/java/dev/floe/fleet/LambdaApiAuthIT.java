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
 * when keys are configured, both ways, with the AWS SDK's own signer; and bytes that are not HTTP or
 * not JSON refused with a clear 400 that leaves the server serving.
 */
class LambdaApiAuthIT {
    private static Path data;
    private static Controller keyed;
    private static Controller open;

    @BeforeAll
    static void start() throws Exception {
        data = TestDirs.create("lambda-auth");
        keyed = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("keyed"))
                .lambdaCredentials(LambdaCredentials.of(Map.of("AKIDFLOETEST", "the-secret/with+chars"))).build().start();
        open = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("open")).build().start();
    }

    @AfterAll
    static void stop() {
        keyed.close();
        open.close();
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

        HttpResponse<String> unknownPath = get(open, "/2015-03-31/functions/x/policy");
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
