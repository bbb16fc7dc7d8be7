package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.proto.DeleteFunctionRequest;
import dev.floe.proto.Environment;
import dev.floe.proto.Function;
import dev.floe.proto.Heartbeat;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.ListEnvironmentsRequest;
import dev.floe.proto.ListWorkersRequest;
import dev.floe.proto.Registration;
import dev.floe.proto.RetireFunction;
import dev.floe.proto.UpdateFunctionRequest;
import dev.floe.proto.Worker;
import dev.floe.proto.WorkerReport;
import dev.floe.testing.Await;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet view as users see it through {@code Fleet}, built from real test workers' links. */
class FleetEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;
    private ControllerFixture fx;

    @BeforeEach
    void start() {
        fx = ControllerFixture.start(dataDir);
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private List<Worker> workers() {
        return fx.fleet().listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList();
    }

    private List<Environment> environments(String function) {
        return fx.fleet().listEnvironments(ListEnvironmentsRequest.newBuilder().setFunction(function).build())
                .getEnvironmentsList();
    }

    private static Environment env(String id, String function, Environment.State state) {
        return Environment.newBuilder().setId(id).setFunction(function).setRevision(1).setRevisionId(function + "-r1")
                .setState(state).setMemoryMb(256).build();
    }

    private static Status awaitLinkEnded(TestWorker worker) {
        return Await.value(WAIT, "the controller ends the link of " + worker.id, worker::linkEnded);
    }

    @Test
    void aWorkerIsListedWithWhatItRegisteredAndReports() {
        TestWorker worker = fx.worker("w1", 4096);
        worker.report(env("e1", "fn", Environment.State.IDLE));
        worker.report(env("e2", "fn", Environment.State.BUSY));

        Worker listed = Await.value(WAIT, "w1 listed with its environments and a heartbeat", () -> workers().stream()
                .filter(w -> w.getEnvironments() == 2 && w.hasLastHeartbeat()).findFirst().orElse(null));

        assertEquals("w1", listed.getId());
        assertEquals(worker.address(), listed.getAddress());
        assertEquals(Worker.State.READY, listed.getState());
        assertEquals(4096, listed.getMemoryMb());
        assertEquals(512, listed.getMemoryUsedMb());
        assertEquals(TestWorker.SANDBOX, listed.getSandbox());
        assertTrue(listed.getConnectedAt().getSeconds() > 0);
        assertEquals(List.of("e1", "e2"), environments("").stream().map(Environment::getId).toList());
        assertEquals("w1", environments("fn").getFirst().getWorkerId());
    }

    @Test
    void listEnvironmentsFiltersByFunction() {
        TestWorker worker = fx.worker("w1", 4096);
        worker.report(env("a1", "alpha", Environment.State.IDLE));
        worker.report(env("b1", "beta", Environment.State.FROZEN));
        Await.until(WAIT, "two environments", () -> environments("").size() == 2);

        assertEquals(List.of("a1"), environments("alpha").stream().map(Environment::getId).toList());
        assertEquals(List.of("b1"), environments("beta").stream().map(Environment::getId).toList());
        assertEquals(List.of(), environments("gamma"));
    }

    @Test
    void aRetiredEnvironmentDisappears() {
        TestWorker worker = fx.worker("w1", 4096);
        worker.report(env("e1", "fn", Environment.State.IDLE));
        Await.until(WAIT, "e1 listed", () -> environments("fn").size() == 1);

        worker.report(env("e1", "fn", Environment.State.RETIRED));

        Await.until(WAIT, "e1 gone", () -> environments("fn").isEmpty());
        assertEquals(0, workers().getFirst().getMemoryUsedMb());
    }

    @Test
    void aDisconnectedWorkerDisappearsWithItsEnvironments() {
        TestWorker leaving = fx.worker("leaving", 1024);
        fx.worker("staying", 1024);
        leaving.report(env("e1", "fn", Environment.State.IDLE));
        Await.until(WAIT, "e1 listed", () -> environments("").size() == 1);

        leaving.disconnect();

        fx.awaitWorkers("staying");
        assertEquals(List.of(), environments(""));
    }

    @Test
    void aSilentWorkerIsDroppedAndItsLinkClosed() {
        TestWorker silent = fx.worker("silent", 1024);
        fx.worker("lively", 1024);

        silent.fallSilent();

        fx.awaitWorkers("lively");
        Status ended = awaitLinkEnded(silent);
        assertEquals(Status.Code.UNAVAILABLE, ended.getCode());
        assertEquals("worker silent reported nothing for 1500 ms (expected: a heartbeat at least every 1500 ms)",
                ended.getDescription());
    }

    @Test
    void aReconnectingWorkerComesBackWithItsEnvironmentsOnce() {
        TestWorker worker = fx.worker("w1", 1024);
        worker.report(env("e1", "fn", Environment.State.IDLE));
        worker.report(env("e2", "fn", Environment.State.FROZEN));
        Await.until(WAIT, "two environments", () -> environments("").size() == 2);
        worker.disconnect();
        fx.awaitWorkers();

        worker.connect();

        fx.awaitWorkers("w1");
        assertEquals(List.of("e1", "e2"), environments("").stream().map(Environment::getId).toList());
        worker.connect();
        Await.until(WAIT, "the newest link replaced the previous one", () -> worker.commands.stream()
                .filter(c -> c.hasRegistered()).count() == 3);
        assertEquals(List.of("e1", "e2"), environments("").stream().map(Environment::getId).toList());
        assertEquals(1, workers().size());
    }

    @Test
    void aSecondLinkWithTheSameIdReplacesTheFirst() {
        TestWorker first = fx.worker("same", 1024);
        TestWorker second = fx.newWorker("same", 2048).connect();

        Status ended = awaitLinkEnded(first);

        assertEquals(Status.Code.UNAVAILABLE, ended.getCode());
        assertEquals("worker same connected again; this older connection is replaced", ended.getDescription());
        Worker listed = workers().getFirst();
        assertEquals(second.address(), listed.getAddress());
        assertEquals(2048, listed.getMemoryMb());
        assertEquals(null, second.linkEnded());
    }

    @Test
    void theFirstReportMustBeARegistration() {
        TestWorker worker = fx.newWorker("w1", 1024);

        worker.openLinkAndSend(WorkerReport.newBuilder().setHeartbeat(Heartbeat.newBuilder().setMemoryUsedMb(1)).build());

        Status ended = awaitLinkEnded(worker);
        assertEquals(Status.Code.INVALID_ARGUMENT, ended.getCode());
        assertEquals("the first report was a heartbeat (expected: a registration first)", ended.getDescription());
        assertEquals(List.of(), workers());
    }

    @Test
    void anInvalidRegistrationIsRefused() {
        TestWorker worker = fx.newWorker("w1", 1024);

        worker.openLinkAndSend(WorkerReport.newBuilder().setRegistration(Registration.newBuilder()
                .setWorkerId("w1").setAddress(worker.address()).setMemoryMb(64)).build());

        Status ended = awaitLinkEnded(worker);
        assertEquals(Status.Code.INVALID_ARGUMENT, ended.getCode());
        assertEquals("memory_mb: 64 (expected: at least 128)", ended.getDescription());

        TestWorker noAddress = fx.newWorker("w2", 1024);
        noAddress.openLinkAndSend(WorkerReport.newBuilder().setRegistration(Registration.newBuilder()
                .setWorkerId("w2").setAddress("nowhere").setMemoryMb(1024)).build());
        assertEquals("address: \"nowhere\" (expected: HOST:PORT, e.g. 127.0.0.1:7070) (the worker's WorkerInvoker service)",
                awaitLinkEnded(noAddress).getDescription());
        assertEquals(List.of(), workers());
    }

    @Test
    void anUpdateRetiresTheOldRevisionsEnvironmentsAndADeleteAllOfThem() {
        TestWorker worker = fx.worker("w1", 1024);
        TestWorker bystander = fx.worker("w2", 1024);
        fx.create("fn", 128);
        fx.invocations().invoke(InvokeRequest.newBuilder().setFunction("fn").build());
        Await.until(WAIT, "an environment of fn", () -> environments("fn").size() == 1);

        Function updated = fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("fn").setMemoryMb(256).build());

        RetireFunction expected = RetireFunction.newBuilder().setFunction("fn").setKeepRevisionId(updated.getRevisionId())
                .addKeepRevisionIds(updated.getRevisionId()).build();
        Await.until(WAIT, "RetireFunction sent", () -> worker.retireCommands().equals(List.of(expected)));
        Await.until(WAIT, "w2 told too", () -> bystander.retireCommands().equals(List.of(expected)));
        Await.until(WAIT, "the old revision's environment retired", () -> environments("fn").isEmpty());

        fx.functions().deleteFunction(DeleteFunctionRequest.newBuilder().setName("fn").build());

        RetireFunction all = RetireFunction.newBuilder().setFunction("fn").setKeepRevisionId("").build();
        Await.until(WAIT, "RetireFunction for every revision", () -> worker.retireCommands().equals(List.of(expected, all)));
    }
}
