package dev.floe.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgsTest {
    private final Args.Spec spec = new Args.Spec().value("memory").repeated("env").flag("json");

    @Test
    void optionsTakeValuesBothWaysAndRepeat() {
        Args args = Args.parse("fn create", List.of("hello", "--memory", "256", "--env=A=1", "--env", "B=2", "--json"), spec);

        assertEquals(List.of("hello"), args.positional());
        assertEquals(256, args.integer("memory", 0, 10_000, null));
        assertEquals(List.of("A=1", "B=2"), args.all("env"));
        assertTrue(args.flag("json"));
    }

    @Test
    void mistakesSayWhatWasExpected() {
        assertEquals("unknown option --memroy for 'fn create' (expected one of: --memory, --env, --json)",
                assertThrows(UsageException.class, () -> Args.parse("fn create", List.of("--memroy", "1"), spec)).getMessage());
        assertEquals("--memory needs a value",
                assertThrows(UsageException.class, () -> Args.parse("fn create", List.of("--memory"), spec)).getMessage());
        assertEquals("--memory given twice",
                assertThrows(UsageException.class, () -> Args.parse("x", List.of("--memory", "1", "--memory", "2"), spec)).getMessage());
        assertEquals("--memory: \"lots\" (expected: a whole number, 0..10)",
                assertThrows(UsageException.class, () -> Args.parse("x", List.of("--memory", "lots"), spec).integer("memory", 0, 10, null))
                        .getMessage());
        assertEquals("'fn get' takes one function name (got: a b)",
                assertThrows(UsageException.class, () -> Args.parse("fn get", List.of("a", "b"), spec).positional(1, "one function name"))
                        .getMessage());
    }
}
