package dev.floe.controller.lambdaapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** Which connection gives way when the Lambda API's connections are all taken. */
class ConnectionCapTest {
    @Test
    void aNewConnectionTakesThePlaceOfTheOldestUntrustedOneNeverOfATrustedOne() {
        ConnectionCap cap = new ConnectionCap(3, 3);
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        EmbeddedChannel c = new EmbeddedChannel();
        assertTrue(cap.admit(a) && cap.admit(b) && cap.admit(c));
        cap.trust(b);

        EmbeddedChannel d = new EmbeddedChannel();
        assertTrue(cap.admit(d), "room made");
        assertFalse(a.isOpen(), "the oldest untrusted connection gave way");
        assertTrue(b.isOpen() && c.isOpen());
        cap.trust(c);
        cap.trust(d);

        EmbeddedChannel e = new EmbeddedChannel();
        assertFalse(cap.admit(e), "every connection is trusted: the new one is refused");
        assertFalse(e.isOpen());
        assertEquals(3, cap.open());

        d.close();
        assertEquals(2, cap.open(), "a closed connection stops counting");
        EmbeddedChannel f = new EmbeddedChannel();
        assertTrue(cap.admit(f));
        assertEquals(3, cap.open());
    }

    @Test
    void anEvictedConnectionIsCountedOnce() {
        ConnectionCap cap = new ConnectionCap(1, 1);
        EmbeddedChannel first = new EmbeddedChannel();
        assertTrue(cap.admit(first));
        EmbeddedChannel second = new EmbeddedChannel();
        assertTrue(cap.admit(second));
        assertFalse(first.isOpen());
        assertEquals(1, cap.open(), "the evicted one's close does not count twice");
        second.close();
        assertEquals(0, cap.open());
    }
}
