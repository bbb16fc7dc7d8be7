package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Controller's builder and lifecycle. */
class ControllerTest {
    @TempDir
    Path dataDir;

    @Test
    void theBuilderSaysWhatItExpected() {
        IllegalArgumentException noDir = assertThrows(IllegalArgumentException.class, () -> Controller.builder().build());
        assertEquals("dataDir: null (expected: a value)", noDir.getMessage());
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class, () -> Controller.builder().port(70_000));
        assertEquals("port: 70000 (expected: 0..65535)", port.getMessage());
        IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class,
                () -> Controller.builder().heartbeatTimeout(Duration.ZERO));
        assertEquals("heartbeatTimeout: PT0S (expected: a positive duration)", timeout.getMessage());
        IllegalArgumentException interval = assertThrows(IllegalArgumentException.class, () -> Controller.builder()
                .dataDir(dataDir).heartbeatInterval(Duration.ofSeconds(5)).heartbeatTimeout(Duration.ofSeconds(5)).build());
        assertEquals("heartbeatInterval: 5000 ms (expected: less than heartbeatTimeout, 5000 ms, or every worker would time out)",
                interval.getMessage());
    }

    @Test
    void aShortHeartbeatTimeoutAloneShortensTheDefaultInterval() throws IOException {
        try (ControllerFixture fx = ControllerFixture.start(dataDir, b -> Controller.builder().port(0).bindHost("127.0.0.1")
                .dataDir(dataDir).heartbeatTimeout(Duration.ofMillis(300)))) {
            TestWorker worker = fx.worker("w1", 1024);

            assertEquals(100, worker.commands.getFirst().getRegistered().getHeartbeatIntervalMs());
        }
    }

    @Test
    void theDefaultHeartbeatIntervalIsOneSecond() throws IOException {
        try (ControllerFixture fx = ControllerFixture.start(dataDir, b -> Controller.builder().port(0).bindHost("127.0.0.1")
                .dataDir(dataDir))) {
            TestWorker worker = fx.worker("w1", 1024);

            assertEquals(1000, worker.commands.getFirst().getRegistered().getHeartbeatIntervalMs());
        }
    }

    @Test
    void startBindsAnEphemeralPortAndCloseIsIdempotent() throws IOException {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(dataDir.resolve("new"))
                .meterRegistry(meters).build();
        assertThrows(IllegalStateException.class, controller::port, "no port before start");

        controller.start();

        assertTrue(controller.port() > 0);
        assertTrue(Files.exists(dataDir.resolve("new/floe.db")), "the data directory is created");
        assertEquals(meters, controller.meters());
        assertEquals(0.0, meters.get("floe.controller.workers").gauge().value());
        IllegalStateException again = assertThrows(IllegalStateException.class, controller::start);
        assertEquals("controller: started (expected: a controller built and not yet started)", again.getMessage());
        controller.close();
        controller.close();
        Threads.assertNoneLeft("floe-controller-");
    }

    @Test
    void aPortInUseFailsStartAndLeavesNothingRunning() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Controller controller = Controller.builder().port(taken.getLocalPort()).bindHost("127.0.0.1").dataDir(dataDir).build();

            assertThrows(IOException.class, controller::start);

            controller.close();
            Threads.assertNoneLeft("floe-controller-");
        }
    }

    @Test
    void theLambdaApiPortIsCheckedAndATakenOneFailsStart() throws IOException {
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> Controller.builder().lambdaPort(-1));
        assertEquals("lambdaPort: -1 (expected: 0..65535)", range.getMessage());
        IllegalArgumentException last = assertThrows(IllegalArgumentException.class, () -> Controller.builder().port(65_535)
                .dataDir(dataDir).build());
        assertTrue(last.getMessage().startsWith("port: 65535 (expected: at most 65534, or a lambdaPort of its own"), last.getMessage());
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Controller controller = Controller.builder().port(0).lambdaPort(taken.getLocalPort()).bindHost("127.0.0.1")
                    .dataDir(dataDir).build();

            IOException failed = assertThrows(IOException.class, controller::start);

            assertTrue(failed.getMessage().contains("cannot serve the Lambda API on 127.0.0.1:" + taken.getLocalPort()), failed.getMessage());
            controller.close();
            Threads.assertNoneLeft("floe-controller-");
        }
    }

    @Test
    void withAnEphemeralGrpcPortTheLambdaApiTakesAnotherEphemeralOne() throws IOException {
        try (Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(dataDir).build().start()) {
            assertTrue(controller.lambdaPort() > 0);
            assertTrue(controller.lambdaPort() != controller.port());
        }
    }

    /** Issue 10: by default the Lambda API takes only requests signed with a key a function's code cannot read. */
    @Test
    void byDefaultTheLambdaApiRequiresAKeyMadeOnFirstStartAndKeptForItsUserAlone() throws IOException {
        String key;
        try (Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(dataDir).build().start()) {
            assertTrue(controller.lambdaCredentials().required(), "keys by default");
            key = controller.lambdaCredentials().first().orElseThrow().id();
            assertTrue(key.matches("FLOE[A-Z2-7]{16}"), key);
            java.nio.file.Path file = dataDir.resolve(Controller.LAMBDA_CREDENTIALS_FILE);
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(dataDir)));
            assertTrue(!controller.lambdaCredentials().first().orElseThrow().toString().contains(
                    controller.lambdaCredentials().first().orElseThrow().secret()), "a key's text never shows its secret");
        }
        try (Controller again = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(dataDir).build().start()) {
            assertEquals(key, again.lambdaCredentials().first().orElseThrow().id(), "the same key on the next start");
        }
    }

    @Test
    void closingAControllerNeverStartedIsHarmless() {
        Controller controller = Controller.builder().dataDir(dataDir).build();
        controller.close();
        assertThrows(IllegalStateException.class, controller::start);
    }
}
