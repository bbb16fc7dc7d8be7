package dev.floe.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {
    @Test
    void parsesNamesAddressesAndBracketedIpv6() {
        assertEquals(new HostPort("127.0.0.1", 7070), HostPort.parse("127.0.0.1:7070"));
        assertEquals(new HostPort("node-3", 80), HostPort.parse("node-3:80"));
        assertEquals(new HostPort("::1", 7070), HostPort.parse("[::1]:7070"));
        assertEquals("[::1]:7070", HostPort.parse("[::1]:7070").toString());
    }

    @Test
    void badAddressesSayWhatWasExpected() {
        for (String bad : new String[] {"", "localhost", ":7070", "host:", "host:port", "host:70000"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
            assertEquals(true, e.getMessage().contains("(expected: HOST:PORT, e.g. 127.0.0.1:7070)"), e.getMessage());
        }
    }
}
