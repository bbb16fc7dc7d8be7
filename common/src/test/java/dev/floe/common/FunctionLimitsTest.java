package dev.floe.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.proto.FunctionConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionLimitsTest {
    private static FunctionConfig.Builder valid() {
        return FunctionConfig.newBuilder().setRuntime("provided").setHandler("index.handler");
    }

    @Test
    void zeroValuesTakeLambdasDefaults() {
        FunctionConfig config = FunctionLimits.withDefaultsChecked(valid().build());

        assertEquals(128, config.getMemoryMb());
        assertEquals(3, config.getTimeoutSeconds());
        assertEquals(512, config.getTmpMb());
    }

    @Test
    void lambdasVersionedRuntimeNamesAreAccepted() {
        for (String name : new String[] {"python3.12", "python3.9", "nodejs20.x", "provided.al2023"}) {
            assertEquals(name, FunctionLimits.withDefaultsChecked(valid().setRuntime(name).build()).getRuntime());
        }
        assertRefused("runtime: \"nodejs20\" (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them: provided.al2023, provided.al2, python3.N, nodejsN.x)", valid().setRuntime("nodejs20"));
    }

    @Test
    void everyViolationSaysWhatWasExpected() {
        assertRefused("memory: 64 MB (expected: 128..10240 MB)", valid().setMemoryMb(64));
        assertRefused("memory: 10241 MB (expected: 128..10240 MB)", valid().setMemoryMb(10241));
        assertRefused("timeout: 901 s (expected: 1..900 s)", valid().setTimeoutSeconds(901));
        assertRefused("tmp: 100 MB (expected: 512..10240 MB)", valid().setTmpMb(100));
        assertRefused("runtime: \"python2\" (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them: provided.al2023, provided.al2, python3.N, nodejsN.x)", valid().setRuntime("python2"));
        assertRefused("handler: \"\" (expected: 1 to 128 characters without spaces)", valid().setHandler(""));
        assertRefused("environment variable AWS_REGION is reserved: Floe sets it", valid().putEnvironment("AWS_REGION", "x"));
        assertRefused("environment variable \"1X\" (expected: a letter, then letters, digits or underscores, at least 2 characters)",
                valid().putEnvironment("1X", "x"));
        assertRefused("environment variables: 4102 bytes (expected: at most 4096)", valid().putEnvironment("BIG", "x".repeat(4099)));
    }

    @Test
    void namesAreLettersDigitsHyphensAndUnderscores() {
        assertEquals("my-function_2", FunctionLimits.checkName("my-function_2"));
        FloeException e = assertThrows(FloeException.class, () -> FunctionLimits.checkName("no/slashes"));
        assertEquals("function name: \"no/slashes\" (expected: 1 to 64 letters, digits, hyphens or underscores)", e.getMessage());
        assertThrows(FloeException.class, () -> FunctionLimits.checkName("x".repeat(65)));
        assertThrows(FloeException.class, () -> FunctionLimits.checkName(""));
    }

    @Test
    void theProvidedRuntimesAliasesAreAccepted() {
        for (String runtime : new String[] {"provided", "provided.al2", "provided.al2023"}) {
            FunctionLimits.check(FunctionLimits.withDefaultsChecked(valid().setRuntime(runtime).build()));
        }
        FunctionLimits.checkEnvironment(Map.of("PATH", "/custom/bin", "LANG", "C"));
    }

    private static void assertRefused(String message, FunctionConfig.Builder config) {
        FloeException e = assertThrows(FloeException.class, () -> FunctionLimits.withDefaultsChecked(config.build()));
        assertEquals(ErrorType.INVALID_PARAMETER, e.type());
        assertEquals(message, e.getMessage());
    }
}
