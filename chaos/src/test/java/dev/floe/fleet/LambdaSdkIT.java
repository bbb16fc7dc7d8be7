package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.AliasConfiguration;
import software.amazon.awssdk.services.lambda.model.CreateAliasResponse;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvalidRequestContentException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.PublishVersionResponse;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.State;
import software.amazon.awssdk.services.lambda.model.UpdateAliasResponse;

/**
 * The real AWS SDK for Java v2, pointed at a local fleet's Lambda API with an endpoint override and
 * signing with the controller's key, doing what a Lambda user does: create, read, invoke (all three types, log tail), update code and
 * configuration, delete, and get the SDK's typed exceptions for Floe's refusals.
 */
class LambdaSdkIT {
    private static FleetFixture fleet;
    private static LambdaClient lambda;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1);
        // The key the controller made on its first start, as floe up hands it to the SDKs (the AWS profile floe).
        lambda = client(fleet.fleet.lambdaEndpoint(), fleet.lambdaKey().id(), fleet.lambdaKey().secret());
    }

    @AfterAll
    static void stop() {
        if (lambda != null) {
            lambda.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    static LambdaClient client(java.net.URI endpoint, String keyId, String secret) {
        return LambdaClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secret)))
                .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(60)).build())
                .overrideConfiguration(c -> c.retryPolicy(RetryPolicy.none()))
                .build();
    }

    private static CreateFunctionResponse createProbe(String name, byte[] zip) {
        return lambda.createFunction(r -> r.functionName(name).runtime(Runtime.PROVIDED_AL2).handler("probe.handler")
                .role("arn:aws:iam::000000000000:role/ignored").memorySize(256).timeout(10)
                .environment(e -> e.variables(Map.of("GREETING", "hello")))
                .ephemeralStorage(s -> s.size(640))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
    }

    private static InvokeResponse invoke(String name, String json) {
        return lambda.invoke(r -> r.functionName(name).payload(SdkBytes.fromUtf8String(json)));
    }

    @Test
    void createReadInvokeUpdateAndDeleteAFunction() throws Exception {
        byte[] zip = ProbeFunction.zip();
        CreateFunctionResponse created = createProbe("sdk-lifecycle", zip);
        assertEquals("sdk-lifecycle", created.functionName());
        assertEquals("$LATEST", created.version(), "as Lambda answers a create without Publish");
        assertEquals(State.ACTIVE, created.state());
        assertEquals(256, created.memorySize());
        assertEquals(10, created.timeout());
        assertEquals(640, created.ephemeralStorage().size());
        assertEquals("hello", created.environment().variables().get("GREETING"));
        assertEquals(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(zip)), created.codeSha256());
        assertTrue(created.functionArn().endsWith(":function:sdk-lifecycle"), created.functionArn());

        FunctionConfiguration got = lambda.getFunction(r -> r.functionName("sdk-lifecycle")).configuration();
        assertEquals(created.revisionId(), got.revisionId());
        assertEquals("$LATEST", got.version(), "no qualifier: Lambda's $LATEST");
        var byArn = lambda.getFunctionConfiguration(r -> r.functionName(created.functionArn()));
        assertEquals(created.codeSha256(), byArn.codeSha256());
        assertEquals("$LATEST", byArn.version());
        FunctionConfiguration listed = lambda.listFunctions().functions().stream().filter(f -> f.functionName().equals("sdk-lifecycle"))
                .findFirst().orElseThrow();
        assertEquals("$LATEST", listed.version());

        InvokeResponse env = invoke("sdk-lifecycle", "{\"op\":\"env\"}");
        assertEquals(200, env.statusCode());
        assertNull(env.functionError());
        assertEquals("$LATEST", env.executedVersion());
        assertTrue(env.payload().asUtf8String().contains("\"GREETING\": \"hello\"") || env.payload().asUtf8String().contains("\"GREETING\":\"hello\""),
                env.payload().asUtf8String());

        var reconfigured = lambda.updateFunctionConfiguration(r -> r.functionName("sdk-lifecycle")
                .memorySize(512).environment(e -> e.variables(Map.of("GREETING", "again"))));
        assertEquals("$LATEST", reconfigured.version());
        assertEquals(512, reconfigured.memorySize());
        assertEquals(created.codeSha256(), reconfigured.codeSha256());
        InvokeResponse second = invoke("sdk-lifecycle", "{\"op\":\"env\"}");
        assertEquals("$LATEST", second.executedVersion());
        assertTrue(second.payload().asUtf8String().contains("again"), second.payload().asUtf8String());
        assertEquals("1", lambda.getFunctionConfiguration(r -> r.functionName("sdk-lifecycle").qualifier("1")).version());
        assertEquals("$LATEST", lambda.getFunctionConfiguration(r -> r.functionName("sdk-lifecycle").qualifier("$LATEST")).version());
        assertEquals("2", lambda.invoke(r -> r.functionName("sdk-lifecycle:2").payload(SdkBytes.fromUtf8String("{\"op\":\"env\"}"))).executedVersion());

        byte[] newCode = CodePackages.zipFiles(Map.of("bootstrap", ProbeFunction.bootstrap(), "marker.txt", "new code"));
        var recoded = lambda.updateFunctionCode(r -> r.functionName("sdk-lifecycle").zipFile(SdkBytes.fromByteArray(newCode)).publish(true));
        assertEquals("3", recoded.version(), "Publish: the version the change made");
        assertNotEquals(created.codeSha256(), recoded.codeSha256());
        InvokeResponse third = invoke("sdk-lifecycle", "{\"op\":\"sh\",\"command\":\"cat $LAMBDA_TASK_ROOT/marker.txt\"}");
        assertTrue(third.payload().asUtf8String().contains("new code"), third.payload().asUtf8String());

        lambda.deleteFunction(r -> r.functionName("sdk-lifecycle"));
        ResourceNotFoundException gone = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(r -> r.functionName("sdk-lifecycle")));
        assertEquals(404, gone.statusCode());
        assertTrue(gone.getMessage().contains("sdk-lifecycle"), gone.getMessage());
    }

    @Test
    void invokeTailsTheLogAndReportsFunctionErrors() {
        createProbe("sdk-tail", ProbeFunction.zip());
        InvokeResponse logged = lambda.invoke(r -> r.functionName("sdk-tail").logType(LogType.TAIL)
                .payload(SdkBytes.fromUtf8String("{\"op\":\"log\",\"lines\":[\"a line from the function\"]}")));
        String log = new String(Base64.getDecoder().decode(logged.logResult()), StandardCharsets.UTF_8);
        assertTrue(log.contains("a line from the function"), log);
        assertTrue(log.contains("REPORT RequestId"), log);

        InvokeResponse failed = invoke("sdk-tail", "{\"op\":\"error\",\"message\":\"broken on purpose\"}");
        assertEquals(200, failed.statusCode());
        assertTrue(failed.functionError() != null && !failed.functionError().isEmpty());
        assertTrue(failed.payload().asUtf8String().contains("broken on purpose"), failed.payload().asUtf8String());
        assertNull(invoke("sdk-tail", "{\"op\":\"count\"}").logResult(), "no tail unless asked for");
    }

    @Test
    void eventInvocationsRunInTheBackgroundAndDryRunsOnlyCheck() throws Exception {
        try (Witness witness = new Witness()) {
            createProbe("sdk-event", ProbeFunction.zip());
            String event = witness.event("event ran");
            InvokeResponse accepted = lambda.invoke(r -> r.functionName("sdk-event").invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String(event)));
            assertEquals(202, accepted.statusCode());
            Await.until(Duration.ofSeconds(30), "the Event invocation to call the witness", () -> witness.saw("event ran"));
            // The 202 came once the event was in the durable queue, under the id the SDK was given.
            String id = accepted.responseMetadata().requestId();
            Await.until(Duration.ofSeconds(30), "the queue to record the Event invocation's success",
                    () -> fleet.client.invocation(id).getStatus() == dev.floe.proto.AsyncInvocation.Status.SUCCEEDED);

            InvokeResponse dry = lambda.invoke(r -> r.functionName("sdk-event").invocationType(InvocationType.DRY_RUN)
                    .payload(SdkBytes.fromUtf8String(event)));
            assertEquals(204, dry.statusCode());
            assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(r -> r.functionName("sdk-no-such")
                    .invocationType(InvocationType.DRY_RUN)));
        }
    }

    @Test
    void versionsAndAliasesWorkAsLambdas() {
        createProbe("sdk-versions", ProbeFunction.zip());
        lambda.updateFunctionConfiguration(r -> r.functionName("sdk-versions").environment(e -> e.variables(Map.of("GREETING", "again"))));
        PublishVersionResponse published = lambda.publishVersion(r -> r.functionName("sdk-versions"));
        assertEquals("2", published.version(), "every change is published: the latest revision is the version");
        assertTrue(published.functionArn().endsWith(":function:sdk-versions:2"), published.functionArn());

        CreateAliasResponse live = lambda.createAlias(r -> r.functionName("sdk-versions").name("live").functionVersion("1")
                .description("what users get"));
        assertEquals("1", live.functionVersion());
        assertEquals("what users get", live.description());
        assertTrue(live.aliasArn().endsWith(":function:sdk-versions:live"), live.aliasArn());
        assertThrows(ResourceConflictException.class, () -> lambda.createAlias(r -> r.functionName("sdk-versions").name("live")
                .functionVersion("2")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.createAlias(r -> r.functionName("sdk-versions").name("future")
                .functionVersion("9")));

        String env = "{\"op\":\"env\"}";
        InvokeResponse byAlias = lambda.invoke(r -> r.functionName("sdk-versions").qualifier("live").payload(SdkBytes.fromUtf8String(env)));
        assertEquals("1", byAlias.executedVersion());
        assertTrue(byAlias.payload().asUtf8String().contains("hello"), byAlias.payload().asUtf8String());
        InvokeResponse byVersion = lambda.invoke(r -> r.functionName("sdk-versions").qualifier("2").payload(SdkBytes.fromUtf8String(env)));
        assertEquals("2", byVersion.executedVersion());
        assertTrue(byVersion.payload().asUtf8String().contains("again"), byVersion.payload().asUtf8String());
        InvokeResponse byOldVersion = lambda.invoke(r -> r.functionName("sdk-versions:1").payload(SdkBytes.fromUtf8String(env)));
        assertTrue(byOldVersion.payload().asUtf8String().contains("hello"), byOldVersion.payload().asUtf8String());
        assertEquals("1", lambda.invoke(r -> r.functionName(live.aliasArn()).payload(SdkBytes.fromUtf8String(env))).executedVersion());
        assertEquals("1", lambda.getFunctionConfiguration(r -> r.functionName("sdk-versions").qualifier("live")).version());
        assertEquals("hello", lambda.getFunction(r -> r.functionName("sdk-versions:live")).configuration().environment().variables()
                .get("GREETING"));

        assertEquals(List.of("$LATEST", "1", "2"), lambda.listVersionsByFunction(r -> r.functionName("sdk-versions")).versions()
                .stream().map(FunctionConfiguration::version).toList());
        assertEquals(List.of("$LATEST", "1", "2"), lambda.listVersionsByFunctionPaginator(r -> r.functionName("sdk-versions").maxItems(1))
                .versions().stream().map(FunctionConfiguration::version).toList(), "one per page, by Marker");
        assertEquals(List.of("live"), lambda.listAliases(r -> r.functionName("sdk-versions")).aliases().stream().map(AliasConfiguration::name).toList());

        // Revision 2 with all of the traffic shifted back to 1: the routing decides what runs.
        UpdateAliasResponse shifted = lambda.updateAlias(r -> r.functionName("sdk-versions").name("live").functionVersion("2")
                .routingConfig(c -> c.additionalVersionWeights(Map.of("1", 1.0))));
        assertEquals("2", shifted.functionVersion());
        assertEquals(Map.of("1", 1.0), shifted.routingConfig().additionalVersionWeights());
        assertEquals("what users get", shifted.description());
        assertNotEquals(live.revisionId(), shifted.revisionId());
        assertEquals("1", lambda.invoke(r -> r.functionName("sdk-versions").qualifier("live")).executedVersion());
        assertThrows(PreconditionFailedException.class, () -> lambda.updateAlias(r -> r.functionName("sdk-versions").name("live")
                .functionVersion("1").revisionId(live.revisionId())));
        lambda.updateAlias(r -> r.functionName("sdk-versions").name("live").routingConfig(c -> c.additionalVersionWeights(Map.of())));
        assertEquals("2", lambda.invoke(r -> r.functionName("sdk-versions").qualifier("live")).executedVersion());
        assertEquals("2", lambda.getAlias(r -> r.functionName("sdk-versions").name("live")).functionVersion());

        lambda.deleteAlias(r -> r.functionName("sdk-versions").name("live"));
        ResourceNotFoundException gone = assertThrows(ResourceNotFoundException.class,
                () -> lambda.invoke(r -> r.functionName("sdk-versions").qualifier("live")));
        assertTrue(gone.getMessage().contains("alias live of function sdk-versions not found"), gone.getMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getAlias(r -> r.functionName("sdk-versions").name("live")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(r -> r.functionName("sdk-versions").qualifier("7")));
        assertEquals(List.of(), lambda.listAliases(r -> r.functionName("sdk-versions")).aliases());
    }

    @Test
    void refusalsArriveAsTheSdksTypedExceptions() {
        assertThrows(ResourceNotFoundException.class, () -> invoke("sdk-missing", "{}"));
        InvalidParameterValueException memory = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(r -> r
                .functionName("sdk-bad").runtime(Runtime.PROVIDED_AL2).handler("h").memorySize(64)
                .code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip())))));
        assertTrue(memory.getMessage().contains("memory: 64 MB (expected: 128..10240 MB)"), memory.getMessage());
        assertEquals(400, memory.statusCode());

        // Issue 10: zero is not "the default", and a NUL cannot smuggle variables into the runtime's environment.
        for (var zero : List.<java.util.function.Consumer<software.amazon.awssdk.services.lambda.model.CreateFunctionRequest.Builder>>of(
                r -> r.memorySize(0), r -> r.timeout(0), r -> r.ephemeralStorage(s -> s.size(0)), r -> r.memorySize(-128))) {
            InvalidParameterValueException refused = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(r -> {
                r.functionName("sdk-zero").runtime(Runtime.PROVIDED_AL2).handler("h").code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip())));
                zero.accept(r);
            }));
            assertTrue(refused.getMessage().matches(".*(memory: -?\\d+ MB|timeout: 0 s|tmp: 0 MB) \\(expected: .*"), refused.getMessage());
        }
        InvalidParameterValueException nul = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(r -> r
                .functionName("sdk-nul").runtime(Runtime.PROVIDED_AL2).handler("h")
                .environment(e -> e.variables(Map.of("FOO", "x\u0000_HANDLER=injected\u0000AWS_LAMBDA_RUNTIME_API=127.0.0.1:9")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(ProbeFunction.zip())))));
        assertTrue(nul.getMessage().contains("environment variable FOO: its value holds a NUL character at position 1"), nul.getMessage());

        createProbe("sdk-errors", ProbeFunction.zip());
        assertThrows(InvalidParameterValueException.class, () -> lambda.updateFunctionConfiguration(r -> r.functionName("sdk-errors")
                .timeout(0)));
        assertThrows(InvalidParameterValueException.class, () -> lambda.updateFunctionConfiguration(r -> r.functionName("sdk-errors")
                .environment(e -> e.variables(Map.of("FOO", "a\u0000B=c")))));
        assertThrows(ResourceConflictException.class, () -> createProbe("sdk-errors", ProbeFunction.zip()));
        byte[] sevenMb = ("\"" + "x".repeat(7 * 1024 * 1024) + "\"").getBytes(StandardCharsets.UTF_8);
        RequestTooLargeException tooLarge = assertThrows(RequestTooLargeException.class, () -> lambda.invoke(r -> r
                .functionName("sdk-errors").payload(SdkBytes.fromByteArray(sevenMb))));
        assertEquals(413, tooLarge.statusCode());
        byte[] twoMb = ("\"" + "x".repeat(2 * 1024 * 1024) + "\"").getBytes(StandardCharsets.UTF_8);
        assertThrows(RequestTooLargeException.class, () -> lambda.invoke(r -> r.functionName("sdk-errors")
                .invocationType(InvocationType.EVENT).payload(SdkBytes.fromByteArray(twoMb))));
        assertThrows(InvalidRequestContentException.class, () -> invoke("sdk-errors", "{not json"));
        // The same connection pool still serves after the refusals.
        assertEquals(200, invoke("sdk-errors", "{\"op\":\"count\"}").statusCode());
    }
}
