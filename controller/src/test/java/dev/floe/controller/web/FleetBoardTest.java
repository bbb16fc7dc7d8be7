package dev.floe.controller.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.floe.controller.placement.Placement;
import dev.floe.proto.Environment;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the web view shows from the fleet's changes and the invoker's answers, on a fake clock. */
class FleetBoardTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final FleetBoard board = new FleetBoard(new InstantSource() {
        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    });

    @Test
    void aFunctionsRatesColdRatioErrorsAndPercentilesComeFromItsPlacementsAndAnswers() {
        board.placed("f", new Placement.Decision("w1", Placement.Kind.COLD));
        for (int i = 1; i <= 100; i++) {
            if (i > 1) {
                board.placed("f", new Placement.Decision("w1", Placement.Kind.WARM));
            }
            board.finished("f", i == 100 ? "function_error" : "success", i * 1_000_000L);
        }
        board.finished("", "ResourceNotFoundException", 5_000_000L);
        JsonObject f = board.json().getAsJsonArray("functions").get(0).getAsJsonObject();
        assertEquals(1, board.json().getAsJsonArray("functions").size(), "a call naming no function is not shown");
        assertEquals(100, f.get("invocations").getAsLong());
        assertEquals(1, f.get("errors").getAsLong());
        assertEquals(0.01, f.get("coldRatio").getAsDouble(), 1e-9);
        assertEquals(50.0, f.get("p50Ms").getAsDouble(), 1e-9);
        assertEquals(99.0, f.get("p99Ms").getAsDouble(), 1e-9);
        assertEquals(10.0, f.get("perSecond").getAsDouble(), 1e-9, "100 answers in the last 10 s");
        assertEquals(FleetBoard.PLACEMENTS_KEPT, board.json().getAsJsonArray("placements").size());
        assertEquals("warm", board.json().getAsJsonArray("placements").get(0).getAsJsonObject().get("decision").getAsString());

        now.addAndGet(FleetBoard.RATE_WINDOW_MS + 1);
        assertEquals(0.0, board.json().getAsJsonArray("functions").get(0).getAsJsonObject().get("perSecond").getAsDouble());
    }

    @Test
    void anEnvironmentShowsWithItsStateAndAgeUntilItRetiresOrItsWorkerLeaves() {
        board.environmentChanged(env("e1", "w1", Environment.State.STARTING));
        now.addAndGet(3_000);
        board.environmentChanged(env("e1", "w1", Environment.State.FROZEN));
        board.environmentChanged(env("e2", "w2", Environment.State.IDLE));
        JsonObject e1 = board.json().getAsJsonArray("environments").get(0).getAsJsonObject();
        assertEquals("FROZEN", e1.get("state").getAsString());
        assertEquals(3_000, e1.get("ageMs").getAsLong(), "its age counts from when it was first seen");
        board.environmentChanged(env("e1", "w1", Environment.State.RETIRED));
        assertEquals(1, board.json().getAsJsonArray("environments").size());
        board.workerLeft("w2", dev.floe.controller.registry.FleetSubscriber.Departure.SILENT, "silent");
        assertEquals(0, board.json().getAsJsonArray("environments").size());
    }

    private static Environment env(String id, String worker, Environment.State state) {
        return Environment.newBuilder().setId(id).setFunction("f").setRevision(1).setWorkerId(worker).setState(state).build();
    }
}
