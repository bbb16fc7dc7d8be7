package dev.floe.controller.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import org.junit.jupiter.api.Test;

/** What a qualifier names, with Lambda's rules for version numbers and alias names. */
class QualifierTest {
    @Test
    void emptyAndLatestNameTheLatestNumbersARevisionTheRestAnAlias() {
        assertEquals(Qualifier.LATEST, Qualifier.parse(null));
        assertEquals(Qualifier.LATEST, Qualifier.parse(""));
        assertEquals(Qualifier.LATEST, Qualifier.parse("$LATEST"));
        assertEquals(Qualifier.revision(12), Qualifier.parse("12"));
        assertEquals(new Qualifier(Qualifier.Kind.ALIAS, 0, "prod-2_a"), Qualifier.parse("prod-2_a"));
        assertEquals(Qualifier.Kind.ALIAS, Qualifier.parse("1a").kind(), "digits and a letter are an alias name");
        assertEquals("prod", Qualifier.parse("prod").toString());
        assertEquals("$LATEST", Qualifier.parse("").toString());
    }

    @Test
    void malformedQualifiersAreRefusedSayingWhatWasExpected() {
        for (String bad : new String[] {"0", "1234567890", "$latest", "a b", "a:b", "x".repeat(129)}) {
            FloeException e = assertThrows(FloeException.class, () -> Qualifier.parse(bad), bad);
            assertEquals(ErrorType.INVALID_PARAMETER, e.type());
            assertEquals(true, e.getMessage().startsWith("qualifier: \""), e.getMessage());
        }
        assertEquals("alias name: \"42\" (expected: 1..128 letters, digits, - or _, not only digits, which name a revision)",
                assertThrows(FloeException.class, () -> Qualifier.checkAliasName("42")).getMessage());
    }
}
