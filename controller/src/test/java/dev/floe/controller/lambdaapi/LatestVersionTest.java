package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import org.junit.jupiter.api.Test;

/** Lambda reports {@code $LATEST} where a call names no version, and the version where it names one. */
class LatestVersionTest {
    private static final Function REVISION_3 = Function.newBuilder().setName("f").setRevision(3).setRevisionId("r3")
            .setCodeSha256("00").setConfig(FunctionConfig.newBuilder().setRuntime("provided").setHandler("h")).build();

    @Test
    void anUnqualifiedInvokeExecutedLatest() {
        assertEquals("$LATEST", InvokeOperation.executedVersion(FunctionRef.parse("f", null), 3));
        assertEquals("$LATEST", InvokeOperation.executedVersion(FunctionRef.parse("f:$LATEST", null), 3));
    }

    @Test
    void aQualifiedInvokeExecutedTheRevisionThatRan() {
        assertEquals("3", InvokeOperation.executedVersion(FunctionRef.parse("f", "3"), 3));
        assertEquals("2", InvokeOperation.executedVersion(FunctionRef.parse("f:live", null), 2), "an alias: the revision its routing picked");
    }

    @Test
    void anUnqualifiedConfigurationIsLatestWithAnUnqualifiedArn() {
        var latest = FunctionShapes.latest(REVISION_3);
        assertEquals("$LATEST", latest.get("Version").getAsString());
        assertEquals(FunctionShapes.ARN_PREFIX + "f", latest.get("FunctionArn").getAsString());
        assertEquals("3", FunctionShapes.configuration(REVISION_3).get("Version").getAsString(), "what a create or code update with Publish made");
    }
}
