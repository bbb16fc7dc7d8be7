package dev.floe.controller.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadAheadTest {
    private final List<String> taken = new ArrayList<>();
    private final List<Runnable> mores = new ArrayList<>();
    private int asked = ReadAhead.PIECES;
    private final ReadAhead ahead = new ReadAhead((chunk, more) -> {
        taken.add(chunk.toStringUtf8());
        mores.add(more);
    }, n -> asked += n);

    @Test
    void piecesThatArriveAheadGoToTheSinkOneAtATimeInOrder() {
        ahead.arrived(ByteString.copyFromUtf8("a"));
        ahead.arrived(ByteString.copyFromUtf8("b"));

        assertEquals(List.of("a"), taken, "b waits until the sink took a");
        assertEquals(ReadAhead.PIECES, asked, "nothing more is asked of the worker while the sink holds a piece");
        mores.getFirst().run();
        assertEquals(List.of("a", "b"), taken);
        assertEquals(ReadAhead.PIECES + 1, asked, "one more asked for the piece taken");
    }

    @Test
    void theStreamIsDrainedOnlyOnceTheSinkTookTheLastPiece() {
        ahead.arrived(ByteString.copyFromUtf8("a"));
        ahead.arrived(ByteString.copyFromUtf8("b"));
        ahead.ended();

        assertFalse(ahead.drained().isDone());
        mores.get(0).run();
        assertFalse(ahead.drained().isDone(), "b is with the sink");
        mores.get(1).run();
        assertTrue(ahead.drained().isDone());
    }

    @Test
    void piecesStillWaitingWhenTheCallFailsAreDropped() {
        ahead.arrived(ByteString.copyFromUtf8("a"));
        ahead.arrived(ByteString.copyFromUtf8("b"));

        ahead.failed();
        mores.getFirst().run();

        assertEquals(List.of("a"), taken, "nothing follows the failure to the caller");
    }

    @Test
    void aStreamWithoutPiecesIsDrainedAtItsEnd() {
        ahead.ended();

        assertTrue(ahead.drained().isDone());
    }
}
