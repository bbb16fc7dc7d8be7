package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.testing.Await;
import dev.floe.testing.ProbeFunction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionEventInvokeConfig;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.ThrottleReason;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * The operations deploy tools call on the way (tags, concurrency, account settings, permissions,
 * code signing, event invoke configs), with the real AWS SDK for Java v2 against a local fleet, and
 * the error an operation Floe does not serve gets.
 */
class LambdaDeployOperationsIT {
    private static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:";
    private static FleetFixture fleet;
    private static LambdaClient lambda;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1);
        lambda = LambdaSdkIT.client(fleet.fleet.lambdaEndpoint(), fleet.lambdaKey().id(), fleet.lambdaKey().secret());
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

    private static void create(String name, Map<String, String> tags) throws Exception {
        byte[] zip = ProbeFunction.zip();
        lambda.createFunction(r -> r.functionName(name).runtime(Runtime.PROVIDED_AL2).handler("probe.handler")
                .role("arn:aws:iam::000000000000:role/ignored").tags(tags).code(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
    }

    @Test
    void tagsAreKeptAndListedByTheFunctionsArn() throws Exception {
        create("ops-tags", Map.of("team", "core"));
        assertEquals(Map.of("team", "core"), lambda.getFunction(r -> r.functionName("ops-tags")).tags());

        lambda.tagResource(r -> r.resource(ARN + "ops-tags").tags(Map.of("stage", "test", "team", "edge")));
        assertEquals(Map.of("stage", "test", "team", "edge"), lambda.listTags(r -> r.resource(ARN + "ops-tags")).tags());
        lambda.untagResource(r -> r.resource(ARN + "ops-tags").tagKeys("team"));
        assertEquals(Map.of("stage", "test"), lambda.listTags(r -> r.resource(ARN + "ops-tags")).tags());

        var reserved = assertThrows(InvalidParameterValueException.class,
                () -> lambda.tagResource(r -> r.resource(ARN + "ops-tags").tags(Map.of("aws:owner", "x"))));
        assertTrue(reserved.getMessage().contains("not beginning with aws:"), reserved.getMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.listTags(r -> r.resource(ARN + "ops-missing")));
    }

    @Test
    void reservedConcurrencyIsFloesAndTheAccountShowsTheFleetsLimits() throws Exception {
        create("ops-concurrency", Map.of());
        var before = lambda.getAccountSettings();
        int limit = before.accountLimit().concurrentExecutions();
        assertTrue(limit > 0, "the fleet's real limit: " + limit);
        assertEquals(52_428_800L, before.accountLimit().codeSizeZipped());
        assertTrue(before.accountUsage().functionCount() >= 1);
        assertNull(lambda.getFunctionConcurrency(r -> r.functionName("ops-concurrency")).reservedConcurrentExecutions());

        assertEquals(7, lambda.putFunctionConcurrency(r -> r.functionName("ops-concurrency").reservedConcurrentExecutions(7))
                .reservedConcurrentExecutions());
        assertEquals(7, lambda.getFunctionConcurrency(r -> r.functionName("ops-concurrency")).reservedConcurrentExecutions());
        assertEquals(7, lambda.getFunction(r -> r.functionName("ops-concurrency")).concurrency().reservedConcurrentExecutions());
        assertEquals(before.accountLimit().unreservedConcurrentExecutions() - 7,
                lambda.getAccountSettings().accountLimit().unreservedConcurrentExecutions());
        assertEquals(7, fleet.client.getFunction("ops-concurrency").getConcurrency().getReserved(), "Floe's own reservation");

        var tooMany = assertThrows(InvalidParameterValueException.class,
                () -> lambda.putFunctionConcurrency(r -> r.functionName("ops-concurrency").reservedConcurrentExecutions(limit)));
        assertTrue(tooMany.getMessage().contains("reserved concurrency"), tooMany.getMessage());

        // A reservation of 0 stops every invocation: the throttle says which limit, as Lambda's does.
        lambda.putFunctionConcurrency(r -> r.functionName("ops-concurrency").reservedConcurrentExecutions(0));
        TooManyRequestsException throttled = assertThrows(TooManyRequestsException.class,
                () -> lambda.invoke(r -> r.functionName("ops-concurrency").payload(SdkBytes.fromUtf8String("{}"))));
        assertEquals(ThrottleReason.RESERVED_FUNCTION_CONCURRENT_INVOCATION_LIMIT_EXCEEDED, throttled.reason());
        assertEquals("1", throttled.retryAfterSeconds());

        lambda.deleteFunctionConcurrency(r -> r.functionName("ops-concurrency"));
        assertNull(lambda.getFunctionConcurrency(r -> r.functionName("ops-concurrency")).reservedConcurrentExecutions());
        assertEquals(before.accountLimit().unreservedConcurrentExecutions(),
                lambda.getAccountSettings().accountLimit().unreservedConcurrentExecutions());
    }

    @Test
    void permissionsAreKeptAndReturnedAsAPolicy() throws Exception {
        create("ops-policy", Map.of());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(r -> r.functionName("ops-policy")));

        String statement = lambda.addPermission(r -> r.functionName("ops-policy").statementId("s3-invoke")
                .action("lambda:InvokeFunction").principal("s3.amazonaws.com").sourceArn("arn:aws:s3:::bucket")).statement();
        assertTrue(statement.contains("\"Sid\":\"s3-invoke\""), statement);
        assertTrue(statement.contains("\"Service\":\"s3.amazonaws.com\""), statement);
        var policy = lambda.getPolicy(r -> r.functionName("ops-policy"));
        assertTrue(policy.policy().contains("\"AWS:SourceArn\":\"arn:aws:s3:::bucket\""), policy.policy());
        assertThrows(ResourceConflictException.class, () -> lambda.addPermission(r -> r.functionName("ops-policy")
                .statementId("s3-invoke").action("lambda:InvokeFunction").principal("s3.amazonaws.com")));
        assertThrows(PreconditionFailedException.class, () -> lambda.addPermission(r -> r.functionName("ops-policy")
                .statementId("other").action("lambda:InvokeFunction").principal("*").revisionId("stale")));

        lambda.removePermission(r -> r.functionName("ops-policy").statementId("s3-invoke").revisionId(policy.revisionId()));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(r -> r.functionName("ops-policy")));
        assertThrows(ResourceNotFoundException.class,
                () -> lambda.removePermission(r -> r.functionName("ops-policy").statementId("s3-invoke")));

        var signing = lambda.getFunctionCodeSigningConfig(r -> r.functionName("ops-policy"));
        assertEquals("ops-policy", signing.functionName());
        assertEquals("", signing.codeSigningConfigArn());
    }

    @Test
    void anEventInvokeConfigSetsTheRetriesOfEventInvocations() throws Exception {
        create("ops-events", Map.of());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionEventInvokeConfig(r -> r.functionName("ops-events")));

        var put = lambda.putFunctionEventInvokeConfig(r -> r.functionName("ops-events").maximumRetryAttempts(0).maximumEventAgeInSeconds(600));
        assertEquals(ARN + "ops-events:$LATEST", put.functionArn());
        assertEquals(0, put.maximumRetryAttempts());
        var updated = lambda.updateFunctionEventInvokeConfig(r -> r.functionName("ops-events").maximumEventAgeInSeconds(900));
        assertEquals(0, updated.maximumRetryAttempts(), "an update keeps what it does not name");
        assertEquals(900, updated.maximumEventAgeInSeconds());
        List<FunctionEventInvokeConfig> listed = lambda.listFunctionEventInvokeConfigs(r -> r.functionName("ops-events"))
                .functionEventInvokeConfigs();
        assertEquals(1, listed.size());
        assertEquals(900, listed.getFirst().maximumEventAgeInSeconds());

        var bad = assertThrows(InvalidParameterValueException.class,
                () -> lambda.putFunctionEventInvokeConfig(r -> r.functionName("ops-events").maximumRetryAttempts(3)));
        assertTrue(bad.getMessage().contains("MaximumRetryAttempts: 3 (expected: 0..2)"), bad.getMessage());
        assertThrows(InvalidParameterValueException.class, () -> lambda.putFunctionEventInvokeConfig(r -> r.functionName("ops-events")
                .destinationConfig(d -> d.onFailure(f -> f.destination(ARN + "elsewhere")))));

        // No retry: a failing event is dead-lettered after its one attempt, not retried a minute later.
        var accepted = lambda.invoke(r -> r.functionName("ops-events").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"op\":\"error\"}")));
        assertEquals(202, accepted.statusCode());
        Await.until(Duration.ofSeconds(30), "the failing event in the dead-letter list",
                () -> !fleet.client.deadLetters("ops-events", 10).isEmpty());
        assertTrue(fleet.client.deadLetters("ops-events", 10).getFirst().getDeadLetterReason().contains("retries exhausted after 1 attempt"));

        lambda.deleteFunctionEventInvokeConfig(r -> r.functionName("ops-events"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionEventInvokeConfig(r -> r.functionName("ops-events")));
    }

    @Test
    void anOperationFloeDoesNotServeGetsLambdasUnknownOperationError() {
        LambdaException e = assertThrows(LambdaException.class, () -> lambda.listLayers());
        assertEquals(404, e.statusCode());
        assertEquals("UnknownOperationException", e.awsErrorDetails().errorCode());
        LambdaException url = assertThrows(LambdaException.class, () -> lambda.getFunctionUrlConfig(r -> r.functionName("ops-tags")));
        assertEquals("UnknownOperationException", url.awsErrorDetails().errorCode());
    }
}
