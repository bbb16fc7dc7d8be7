package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.CreateAliasRequest;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.UpdateFunctionRequest;
import dev.floe.proto.EnvironmentVariables;
import dev.floe.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Older revisions and aliases on a real fleet: two revisions run side by side, each warm in its own
 * environment; an alias's environments outlive an update that retires the others'; the async queue
 * and the command line take the same qualifiers.
 */
class AliasFleetTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    private static InvokeResponse invoke(String function, String qualifier) {
        return fleet.client.invoke(InvokeRequest.newBuilder().setFunction(function).setQualifier(qualifier)
                .setPayload(ByteString.copyFromUtf8("{\"op\":\"env\"}")).build());
    }

    /** Which code ran: the VERSION variable each revision was given. */
    private static Object version(InvokeResponse response) {
        return FleetFixture.json(response).get("VERSION");
    }

    private static void update(String function, String version) {
        fleet.client.updateFunction(UpdateFunctionRequest.newBuilder().setName(function)
                .setEnvironment(EnvironmentVariables.newBuilder().putVariables("VERSION", version)).build());
    }

    private static List<String> environmentIds(String function) {
        return fleet.environments(function).stream().map(Environment::getId).toList();
    }

    @Test
    void revisionsRunSideBySideAndAnAliasKeepsItsEnvironmentsThroughAnUpdate() {
        fleet.createProbe("sides", FunctionConfig.newBuilder().putEnvironment("VERSION", "one"));
        update("sides", "two");
        fleet.client.createAlias(CreateAliasRequest.newBuilder().setFunction("sides").setName("stable").setRevision(1).build());

        InvokeResponse old = invoke("sides", "1");
        InvokeResponse latest = invoke("sides", "");
        assertEquals("one", version(old));
        assertEquals(1, old.getRevision());
        assertEquals("two", version(latest));
        assertEquals(2, latest.getRevision());
        assertNotEquals(old.getEnvironmentId(), latest.getEnvironmentId(), "each revision has its own environment");

        InvokeResponse oldAgain = invoke("sides", "1");
        InvokeResponse latestAgain = invoke("sides", "$LATEST");
        InvokeResponse stable = invoke("sides", "stable");
        assertFalse(oldAgain.getCold());
        assertFalse(latestAgain.getCold());
        assertFalse(stable.getCold());
        assertEquals(old.getEnvironmentId(), oldAgain.getEnvironmentId());
        assertEquals(old.getEnvironmentId(), stable.getEnvironmentId(), "the alias runs revision 1, warm");
        assertEquals(latest.getEnvironmentId(), latestAgain.getEnvironmentId());
        assertEquals("one", version(stable));

        update("sides", "three");

        Await.until(WAIT, "revision 2's environment retired", () -> !environmentIds("sides").contains(latest.getEnvironmentId()));
        assertTrue(environmentIds("sides").contains(old.getEnvironmentId()), "the alias's revision keeps its environment");
        InvokeResponse stableAfter = invoke("sides", "stable");
        assertFalse(stableAfter.getCold());
        assertEquals(old.getEnvironmentId(), stableAfter.getEnvironmentId());
        InvokeResponse third = invoke("sides", "");
        assertEquals("three", version(third));
        assertEquals(3, third.getRevision());

        String id = fleet.client.invokeQueued("sides", "stable", List.of(ByteString.copyFromUtf8("{\"op\":\"env\"}"))).getFirst();
        Await.until(WAIT, "the queued invocation of the alias to succeed",
                () -> fleet.client.invocation(id).getStatus() == AsyncInvocation.Status.SUCCEEDED);
        assertEquals(1, fleet.client.invocation(id).getRevision());
        assertTrue(fleet.client.invocation(id).getResult().toStringUtf8().contains("one"));
    }

    @Test
    void theCommandLineSetsListsAndDeletesAliasesAndInvokesByQualifier() {
        fleet.createProbe("cli-alias", FunctionConfig.newBuilder().putEnvironment("VERSION", "one"));
        update("cli-alias", "two");

        FleetFixture.Result set = fleet.floe("alias", "set", "cli-alias", "live", "1", "--description", "the one users get");
        assertEquals(0, set.status(), set.err());
        assertEquals("created alias live of cli-alias -> revision 1\n", set.out());
        FleetFixture.Result shifted = fleet.floe("alias", "set", "cli-alias", "live", "1", "--weight", "2=0.25");
        assertEquals("updated alias live of cli-alias -> revision 1, revision 2 25.0%\n", shifted.out(), shifted.err());

        FleetFixture.Result list = fleet.floe("alias", "list", "cli-alias");
        assertTrue(list.out().contains("live"), list.out());
        assertTrue(list.out().contains("revision 2 25.0%"), list.out());
        assertTrue(list.out().contains("the one users get"), list.out() + " (the description is kept)");
        FleetFixture.Result revisions = fleet.floe("fn", "revisions", "cli-alias");
        String[] lines = revisions.out().strip().split("\n");
        assertEquals(3, lines.length, revisions.out());
        assertTrue(lines[1].startsWith("1 ") && lines[1].endsWith("live"), revisions.out());
        assertTrue(lines[2].startsWith("2 ") && lines[2].endsWith("$LATEST, live (25.0%)"), revisions.out());

        FleetFixture.Result byNumber = fleet.floe("invoke", "cli-alias", "--qualifier", "1", "--payload", "{\"op\":\"env\"}");
        assertTrue(byNumber.out().contains("\"VERSION\": \"one\""), byNumber.out());
        FleetFixture.Result queued = fleet.floe("invoke", "cli-alias", "--async", "--qualifier", "1", "--payload", "{\"op\":\"env\"}");
        assertEquals(0, queued.status(), queued.err());
        Await.until(WAIT, "the queued invocation to run revision 1",
                () -> fleet.client.invocation(queued.out().strip()).getRevision() == 1);

        assertEquals(0, fleet.floe("alias", "delete", "cli-alias", "live").status());
        FleetFixture.Result gone = fleet.floe("invoke", "cli-alias", "--qualifier", "live");
        assertEquals(1, gone.status());
        assertTrue(gone.err().contains("ResourceNotFoundException: alias live of function cli-alias not found"), gone.err());
        FleetFixture.Result bad = fleet.floe("alias", "set", "cli-alias", "live", "latest");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("expected: a revision number"), bad.err());
        FleetFixture.Result badWeight = fleet.floe("alias", "set", "cli-alias", "live", "1", "--weight", "2=1.5");
        assertEquals(2, badWeight.status());
        assertTrue(badWeight.err().contains("expected: a number 0..1"), badWeight.err());
    }
}
