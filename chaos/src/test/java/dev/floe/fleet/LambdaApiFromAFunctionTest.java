package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.controller.Controller;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's probe, from inside a function on a default fleet: reading another function's variables,
 * and creating, invoking and deleting functions through the Lambda API on the same machine, is refused
 * (the function has no key), and the files that hold the key are out of its reach.
 */
class LambdaApiFromAFunctionTest {
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1);
        fleet.createProbe("victim", FunctionConfig.newBuilder().putEnvironment("SECRET", "hunter2"));
        fleet.createProbe("attacker", FunctionConfig.newBuilder().setTimeoutSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aFunctionCannotReadOrChangeAnotherThroughTheLambdaApi() {
        String api = "127.0.0.1:" + fleet.fleet.controller().lambdaPort();
        JsonArray calls = new JsonArray();
        calls.add(call("GET", "/2015-03-31/functions/victim", null));
        calls.add(call("GET", "/2015-03-31/functions/", null));
        calls.add(call("DELETE", "/2015-03-31/functions/victim", null));
        calls.add(call("POST", "/2015-03-31/functions/victim/invocations", "{}"));
        calls.add(call("PUT", "/2015-03-31/functions/victim/configuration", "{\"Environment\":{\"Variables\":{}}}"));
        calls.add(call("POST", "/2015-03-31/functions", "{\"FunctionName\":\"planted\",\"Code\":{\"ZipFile\":\"UEs=\"}}"));
        // Signed the way an SDK in the function would sign with keys it guessed.
        JsonObject guessed = call("GET", "/2015-03-31/functions/victim", null);
        guessed.addProperty("raw", "GET /2015-03-31/functions/victim HTTP/1.1\r\nHost: " + api + "\r\nX-Amz-Date: 20260101T000000Z\r\n"
                + "Authorization: AWS4-HMAC-SHA256 Credential=AKIDGUESS/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date,"
                + " Signature=0000\r\nConnection: close\r\n\r\n");
        calls.add(guessed);
        for (var c : calls) {
            c.getAsJsonObject().addProperty("endpoint", api);
        }
        JsonObject event = new JsonObject();
        event.addProperty("op", "http");
        event.add("calls", calls);

        InvokeResponse response = fleet.invoke("attacker", event.toString());

        JsonArray results = JsonParser.parseString(response.getPayload().toStringUtf8()).getAsJsonArray();
        assertEquals(calls.size(), results.size(), results.toString());
        for (var result : results) {
            JsonObject r = result.getAsJsonObject();
            assertEquals(403, r.get("status").getAsInt(), r.toString());
            assertTrue(r.get("body").getAsString().contains("The security token included in the request is invalid"), r.toString());
            assertTrue(!r.get("body").getAsString().contains("hunter2"), r.toString());
        }
        assertEquals("hunter2", fleet.client.getFunction("victim").getConfig().getEnvironmentMap().get("SECRET"), "untouched");
        assertEquals(1, fleet.client.getFunction("victim").getRevision());
        assertTrue(fleet.client.listFunctions().stream().noneMatch(f -> f.getName().equals("planted")));
    }

    /** As root, each environment is a user of its own: the key's file (0600 in a 0700 directory) cannot be read. */
    @Test
    void theKeysFileIsOutOfAFunctionsReach() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "a worker that is not root runs functions as its own user, who can read the key (see docs/SECURITY.md)");
        String file = fleet.data.resolve("controller").resolve(Controller.LAMBDA_CREDENTIALS_FILE).toString();
        InvokeResponse response = fleet.invoke("attacker", "{\"op\":\"sh\",\"command\":\"cat " + file + " " + fleet.tokenFile()
                + "; ls " + fleet.data.resolve("controller") + "\"}");
        JsonObject result = JsonParser.parseString(response.getPayload().toStringUtf8()).getAsJsonObject();
        String out = result.get("out").getAsString();
        assertTrue(result.get("code").getAsInt() != 0, out);
        String secret = fleet.lambdaKey().secret();
        assertTrue(!out.contains(secret) && !out.contains(fleet.lambdaKey().id()), "the key leaked: " + out);
        assertTrue(out.contains("Permission denied") || out.contains("No such file"), out);
    }

    private static JsonObject call(String method, String path, String body) {
        JsonObject call = new JsonObject();
        call.addProperty("method", method);
        call.addProperty("path", path);
        if (body != null) {
            call.addProperty("body", body);
        }
        return call;
    }
}
