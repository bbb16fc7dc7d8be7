package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Back-to-back invocations of a function whose environment fills its worker stay on that environment:
 * the next call, sent as soon as the previous one is answered, does not wait for the worker's report
 * that the environment is idle, nor start cold on the other worker, which has room.
 */
class BackToBackTest {

    @Test
    void anEnvironmentThatFillsItsWorkerTakesEveryNextInvocationWarm() throws Exception {
        try (FleetFixture fleet = new FleetFixture(2, 128, UnaryOperator.identity())) {
            fleet.createProbe("filler", FunctionConfig.newBuilder());

            List<InvokeResponse> responses = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                responses.add(fleet.invoke("filler", "{\"op\":\"count\"}"));
            }

            assertEquals(List.of(true), responses.stream().filter(InvokeResponse::getCold).map(InvokeResponse::getCold).toList(),
                    "one cold start: " + responses.stream().map(r -> r.getWorkerId() + "/" + r.getEnvironmentId()).toList());
            assertEquals(1, responses.stream().map(InvokeResponse::getEnvironmentId).distinct().count());
            assertEquals(40.0, FleetFixture.json(responses.getLast()).get("count"), "state kept across all 40");
        }
    }
}
