package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.FloeException;
import dev.floe.controller.function.Qualifier;
import dev.floe.testing.TestDirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How requests are read: routes, function names and ARNs, request bodies, and the keys file. */
class RequestParsingTest {
    @Test
    void routesAreLambdasPathsAndMethods() {
        assertEquals(Route.Operation.LIST_FUNCTIONS, Route.of("GET", "/2015-03-31/functions/").orElseThrow().operation());
        assertEquals(Route.Operation.CREATE_FUNCTION, Route.of("POST", "/2015-03-31/functions").orElseThrow().operation());
        assertEquals(new Route(Route.Operation.INVOKE, "f"), Route.of("POST", "/2015-03-31/functions/f/invocations").orElseThrow());
        assertEquals(Route.Operation.UPDATE_FUNCTION_CODE, Route.of("PUT", "/2015-03-31/functions/f/code").orElseThrow().operation());
        assertEquals(Route.Operation.DELETE_FUNCTION, Route.of("DELETE", "/2015-03-31/functions/f").orElseThrow().operation());
        assertEquals(Route.Operation.PUBLISH_VERSION, Route.of("POST", "/2015-03-31/functions/f/versions").orElseThrow().operation());
        assertEquals(Route.Operation.LIST_VERSIONS, Route.of("GET", "/2015-03-31/functions/f/versions").orElseThrow().operation());
        assertEquals(Route.Operation.CREATE_ALIAS, Route.of("POST", "/2015-03-31/functions/f/aliases").orElseThrow().operation());
        assertEquals(Route.Operation.LIST_ALIASES, Route.of("GET", "/2015-03-31/functions/f/aliases").orElseThrow().operation());
        assertEquals(new Route(Route.Operation.UPDATE_ALIAS, "f", "live"), Route.of("PUT", "/2015-03-31/functions/f/aliases/live").orElseThrow());
        assertEquals(Route.Operation.GET_ALIAS, Route.of("GET", "/2015-03-31/functions/f/aliases/live").orElseThrow().operation());
        assertEquals(Route.Operation.DELETE_ALIAS, Route.of("DELETE", "/2015-03-31/functions/f/aliases/live").orElseThrow().operation());
        assertEquals(Optional.empty(), Route.of("POST", "/2015-03-31/functions/f/aliases/live"));
        assertEquals(Optional.empty(), Route.of("GET", "/2015-03-31/functions/f/versions/1"));
        assertEquals("ListVersionsByFunction", Route.of("GET", "/2015-03-31/functions/f/versions").orElseThrow().operationName());
        assertEquals("UpdateAlias", Route.of("PUT", "/2015-03-31/functions/f/aliases/a").orElseThrow().operationName());
        assertEquals(Optional.empty(), Route.of("GET", "/2015-03-31/functions/f/invocations"));
        assertEquals(Route.Operation.GET_ACCOUNT_SETTINGS, Route.of("GET", "/2016-08-19/account-settings/").orElseThrow().operation());
        assertEquals(Optional.empty(), Route.of("PUT", "/2016-08-19/account-settings/"));
        assertEquals(new Route(Route.Operation.TAG_RESOURCE, "arn%3Aaws%3Alambda"), Route.of("POST", "/2017-03-31/tags/arn%3Aaws%3Alambda").orElseThrow());
        assertEquals(Route.Operation.UNTAG_RESOURCE, Route.of("DELETE", "/2017-03-31/tags/a").orElseThrow().operation());
        assertEquals(Route.Operation.LIST_TAGS, Route.of("GET", "/2017-03-31/tags/a").orElseThrow().operation());
        assertEquals(Route.Operation.PUT_FUNCTION_CONCURRENCY, Route.of("PUT", "/2017-10-31/functions/f/concurrency").orElseThrow().operation());
        assertEquals(Route.Operation.GET_FUNCTION_CONCURRENCY, Route.of("GET", "/2019-09-30/functions/f/concurrency").orElseThrow().operation());
        assertEquals(Optional.empty(), Route.of("GET", "/2017-10-31/functions/f/concurrency"), "each operation has its own API version");
        assertEquals(new Route(Route.Operation.REMOVE_PERMISSION, "f", "sid"), Route.of("DELETE", "/2015-03-31/functions/f/policy/sid").orElseThrow());
        assertEquals(Route.Operation.ADD_PERMISSION, Route.of("POST", "/2015-03-31/functions/f/policy").orElseThrow().operation());
        assertEquals(new Route(Route.Operation.LIST_FUNCTION_EVENT_INVOKE_CONFIGS, "f"),
                Route.of("GET", "/2019-09-25/functions/f/event-invoke-config/list").orElseThrow());
        assertEquals("ListFunctionEventInvokeConfigs", Route.of("GET", "/2019-09-25/functions/f/event-invoke-config/list").orElseThrow().operationName());
        assertEquals(Route.Operation.GET_FUNCTION_CODE_SIGNING_CONFIG,
                Route.of("GET", "/2020-06-30/functions/f/code-signing-config").orElseThrow().operation());
        assertEquals(Optional.empty(), Route.of("GET", "/2018-10-31/layers"), "layers are not served: UnknownOperationException");
        assertEquals(Optional.empty(), Route.of("GET", "/2021-10-31/functions/f/url"), "nor function URLs");
        assertEquals(Optional.empty(), Route.of("GET", "/2015-03-31/functions/f/code/extra"));
        assertEquals(new Route(Route.Operation.INVOKE_WITH_RESPONSE_STREAM, "f%3Alive"),
                Route.of("POST", "/2021-11-15/functions/f%3Alive/response-streaming-invocations").orElseThrow());
        assertEquals("InvokeWithResponseStream", new Route(Route.Operation.INVOKE_WITH_RESPONSE_STREAM, "f").operationName());
        assertEquals(Optional.empty(), Route.of("GET", "/2021-11-15/functions/f/response-streaming-invocations"));
        assertEquals(Optional.empty(), Route.of("POST", "/2021-11-15/functions//response-streaming-invocations"));
        assertEquals(Optional.empty(), Route.of("POST", "/2015-03-31/functions/f/response-streaming-invocations"));
    }

    @Test
    void functionsAreNamedByNameArnOrPartialArnWithAQualifier() {
        assertEquals(new FunctionRef("f", Qualifier.LATEST), FunctionRef.parse("f", null));
        assertEquals(new FunctionRef("f", Qualifier.LATEST), FunctionRef.parse("f", "$LATEST"));
        assertEquals(new FunctionRef("f", Qualifier.revision(3)), FunctionRef.parse("arn:aws:lambda:us-east-1:000000000000:function:f:3", null));
        assertEquals(new FunctionRef("f", Qualifier.revision(2)), FunctionRef.parse("123456789012:function:f", "2"));
        assertEquals(new FunctionRef("f", Qualifier.revision(4)), FunctionRef.parse("f:4", "4"));
        assertEquals(new FunctionRef("f", Qualifier.parse("prod")), FunctionRef.parse("f:prod", null));
        assertEquals("prod", FunctionRef.parse("arn:aws:lambda:us-east-1:000000000000:function:f:prod", null).qualifierText());

        assertError(400, "differs", () -> FunctionRef.parse("f:4", "5"));
        FloeException qualifier = assertThrows(FloeException.class, () -> FunctionRef.parse("f:pr od", null));
        assertTrue(qualifier.getMessage().contains("expected: $LATEST, a revision number, or an alias name"), qualifier.getMessage());
        assertError(400, "expected: a name, NAME:QUALIFIER, or an ARN", () -> FunctionRef.parse("arn:aws:s3:::bucket", null));
        FloeException name = assertThrows(FloeException.class, () -> FunctionRef.parse("bad name!", null));
        assertTrue(name.getMessage().contains("expected: 1 to 64 letters"), name.getMessage());
    }

    @org.junit.jupiter.api.io.TempDir
    Path codeDir;

    private FunctionShapes.Create create(byte[] body) throws java.io.IOException {
        return FunctionShapes.create(new java.io.ByteArrayInputStream(body), new dev.floe.controller.function.CodeStore(codeDir));
    }

    @Test
    void createBodiesMapToFloesConfigAndRefuseWhatFloeCannotHonour() throws Exception {
        String zip = java.util.Base64.getEncoder().encodeToString(new byte[] {'P', 'K', 3, 4});
        FunctionShapes.Create create = create(bytes("{\"FunctionName\":\"f\",\"Runtime\":\"provided.al2023\","
                + "\"Handler\":\"h\",\"MemorySize\":256,\"Timeout\":30,\"Role\":\"arn:aws:iam::1:role/r\",\"Description\":\"d\","
                + "\"Environment\":{\"Variables\":{\"A_KEY\":\"v\"}},\"EphemeralStorage\":{\"Size\":1024},\"Layers\":[],"
                + "\"Code\":{\"ZipFile\":\"" + zip + "\"}}"));
        assertEquals("f", create.name());
        assertEquals(256, create.config().getMemoryMb());
        assertEquals(30, create.config().getTimeoutSeconds());
        assertEquals(1024, create.config().getTmpMb());
        assertEquals(Map.of("A_KEY", "v"), create.config().getEnvironmentMap());
        assertEquals(4, create.zip().size(), "the zip, decoded into the code store as it was read");
        assertEquals(ProbeSha.of(new byte[] {'P', 'K', 3, 4}), create.zip().sha256());
        create.zip().close();
        try (var files = Files.list(codeDir)) {
            assertEquals(0, files.count(), "a closed upload leaves nothing behind");
        }

        assertError(400, "Layers is not supported by Floe", () -> create(bytes(
                "{\"FunctionName\":\"f\",\"Layers\":[\"arn:layer\"],\"Code\":{\"ZipFile\":\"" + zip + "\"}}")));
        assertError(400, "unknown field Colour", () -> create(bytes("{\"FunctionName\":\"f\",\"Colour\":1}")));
        assertError(400, "Code.ZipFile is missing", () -> create(bytes("{\"FunctionName\":\"f\",\"Code\":{\"S3Bucket\":\"\"}}")));
        assertError(400, "S3Bucket is not supported by Floe", () -> create(bytes(
                "{\"FunctionName\":\"f\",\"Code\":{\"S3Bucket\":\"b\",\"S3Key\":\"k\"}}")));
        assertError(400, "Timeout: 1.5 (expected: an integer)", () -> create(bytes("{\"FunctionName\":\"f\",\"Timeout\":1.5}")));
        assertError(400, "is not base64", () -> create(bytes("{\"FunctionName\":\"f\",\"Code\":{\"ZipFile\":\"%%%\"}}")));
        assertError(400, "a JSON array (expected: a JSON object)", () -> create(bytes("[1]")));
        assertError(400, "not valid JSON", () -> create(bytes("{\"FunctionName\":\"f\"} trailing")));
        assertError(400, "not valid JSON (Invalid UTF-8", () -> create(new byte[] {'{', (byte) 0xC3, '}'}));
        assertError(400, "CreateFunction: Code.ZipFile: not a string", () -> create(bytes("{\"FunctionName\":\"f\",\"Code\":{\"ZipFile\":7}}")));
        assertError(400, "fields other than the code of at most 1048576 bytes", () -> create(bytes(
                "{\"FunctionName\":\"f\",\"Description\":\"" + "d".repeat(1_100_000) + "\"}")));
        assertError(400, "not valid JSON (Duplicate field 'Code')", () -> create(bytes("{\"Code\":{\"ZipFile\":\"" + zip + "\"},\"Code\":{}}")));
        try (var files = Files.list(codeDir)) {
            assertEquals(0, files.count(), "a refused upload leaves nothing behind");
        }
    }

    @Test
    void configurationUpdatesChangeOnlyWhatIsGiven() {
        FunctionShapes.Guarded guarded = FunctionShapes.configurationUpdate("f", bytes("{\"MemorySize\":512,\"Environment\":{},"
                + "\"RevisionId\":\"r-1\"}"));
        assertEquals(512, guarded.update().memoryMb().getAsInt());
        assertEquals(Optional.of(Map.of()), guarded.update().environment(), "an Environment without Variables clears them");
        assertTrue(guarded.update().timeoutSeconds().isEmpty());
        assertTrue(guarded.update().handler().isEmpty());
        assertEquals(Optional.of("r-1"), guarded.revisionId());
    }

    @Test
    void theKeysFileIsReadLineByLineWithClearErrors() throws Exception {
        Path dir = TestDirs.create("lambda-keys");
        try {
            Path good = Files.writeString(dir.resolve("keys"), "# operators' keys\nAKIDONE secret-one\n\nAKIDTWO\tsecret/two\n");
            LambdaCredentials keys = LambdaCredentials.read(good);
            assertEquals(2, keys.size());
            assertEquals(Optional.of("secret/two"), keys.secret("AKIDTWO"));
            assertTrue(keys.required());

            Path bad = Files.writeString(dir.resolve("bad"), "AKIDONE\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LambdaCredentials.read(bad));
            assertTrue(e.getMessage().contains("line 1: 1 fields (expected: ACCESS_KEY_ID SECRET_ACCESS_KEY)"), e.getMessage());
            Path twice = Files.writeString(dir.resolve("twice"), "K a\nK b\n");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> LambdaCredentials.read(twice)).getMessage().contains("given twice"));
            Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> LambdaCredentials.read(empty)).getMessage().contains("no access keys"));
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** SHA-256 in hex. */
    private static final class ProbeSha {
        static String of(byte[] bytes) throws Exception {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertError(int status, String messagePart, org.junit.jupiter.api.function.Executable call) {
        ApiError error = assertThrows(ApiError.ApiException.class, call).error();
        assertEquals(status, error.status());
        assertTrue(error.message().contains(messagePart), error.message());
    }
}
