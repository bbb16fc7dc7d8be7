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
    void unsetSizesTakeLambdasDefaults() {
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
        assertRefused("handler: \"\" (expected: 1 to 128 characters without spaces or NUL)", valid().setHandler(""));
        assertRefused("handler: \"a.b\\u0000AWS_LAMBDA_RUNTIME_API=127.0.0.1:9\" (expected: 1 to 128 characters without spaces or NUL)",
                valid().setHandler("a.b\u0000AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"));
        assertRefused("environment variable AWS_REGION is reserved: Floe sets it (expected: a name Lambda does not reserve)",
                valid().putEnvironment("AWS_REGION", "x"));
        assertRefused("environment variable name \"1X\" (expected: a letter, then letters, digits or underscores, at least 2"
                + " characters: [a-zA-Z]([a-zA-Z0-9_])+)", valid().putEnvironment("1X", "x"));
        assertRefused("environment variables: 4102 bytes of names and values (expected: at most 4096 in all)",
                valid().putEnvironment("BIG", "x".repeat(4099)));
    }

    /** Issue 10, item 6: Lambda refuses a size of zero or less; only an unset one takes the default. */
    @Test
    void zeroAndNegativeSizesAreRefusedNotDefaulted() {
        assertRefused("memory: 0 MB (expected: 128..10240 MB)", valid().setMemoryMb(0));
        assertRefused("memory: -1 MB (expected: 128..10240 MB)", valid().setMemoryMb(-1));
        assertRefused("timeout: 0 s (expected: 1..900 s)", valid().setTimeoutSeconds(0));
        assertRefused("timeout: -3 s (expected: 1..900 s)", valid().setTimeoutSeconds(-3));
        assertRefused("tmp: 0 MB (expected: 512..10240 MB)", valid().setTmpMb(0));
        assertRefused("tmp: -512 MB (expected: 512..10240 MB)", valid().setTmpMb(-512));
    }

    /** Issue 10, item 3: a NUL would end a value and start a variable of the caller's choosing after it. */
    @Test
    void aNulInAValueOrANameIsRefused() {
        assertRefused("environment variable FOO: its value holds a NUL character at position 1 (expected: text without NUL,"
                + " which no process environment can carry)",
                valid().putEnvironment("FOO", "x\u0000_HANDLER=injected\u0000AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"));
        assertRefused("environment variable name \"A\\u0000_HANDLER\" (expected: a letter, then letters, digits or underscores,"
                + " at least 2 characters: [a-zA-Z]([a-zA-Z0-9_])+)", valid().putEnvironment("A\u0000_HANDLER", "x"));
        assertRefused("environment variable name \"A=B\" (expected: a letter, then letters, digits or underscores,"
                + " at least 2 characters: [a-zA-Z]([a-zA-Z0-9_])+)", valid().putEnvironment("A=B", "x"));
        // Any other character, newlines and '=' included, is a value's own: the runtime gets it as sent.
        FunctionLimits.checkEnvironment(Map.of("MULTI", "a\nb=c\td\u00e9"));
    }

    @Test
    void theFourKilobytesCountNamesAndValuesInUtf8() {
        FunctionLimits.checkEnvironment(Map.of("AB", "x".repeat(4094)));
        assertRefused("environment variables: 4098 bytes of names and values (expected: at most 4096 in all)",
                valid().putEnvironment("AB", "\u00e9".repeat(2048)));
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
