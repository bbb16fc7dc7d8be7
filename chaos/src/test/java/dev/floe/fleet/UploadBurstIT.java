package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.controller.lambdaapi.LambdaCredentials;
import dev.floe.proto.Worker;
import dev.floe.testing.ProbeFunction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's probe: 16 CreateFunction requests at once, each ~69 MB (a 50 MB zip of random bytes in
 * base64), to a fleet with the default heartbeat timeout. Every upload is accepted, and the worker's
 * heartbeats go on throughout: it is never dropped from the fleet (its {@code connected_at} stays), and
 * no heartbeat was older than the timeout when the fleet view was asked for, during the burst. (Before,
 * the same burst grew the controller from 0.5 GB to 5.4 GB and dropped both workers.)
 */
class UploadBurstIT {
    private static final int UPLOADS = 16;
    private static final int ZIP_BYTES = 50 * 1000 * 1000;
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        // The uploads are sent unsigned by hand; signatures are not what this is about.
        fleet = new FleetFixture(1, 1024, UnaryOperator.identity(), b -> b.lambdaCredentials(LambdaCredentials.anyone()));
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void heartbeatsGoOnWhileLargeUploadsArrive() throws Exception {
        byte[] noise = new byte[ZIP_BYTES];
        new Random(10).nextBytes(noise);
        byte[] zip = CodePackages.zip(List.of(
                new CodePackages.Entry("bootstrap", ProbeFunction.bootstrap().getBytes(StandardCharsets.UTF_8),
                        PosixFilePermissions.fromString("rwxr-xr-x")),
                new CodePackages.Entry("noise.bin", noise, PosixFilePermissions.fromString("rw-r--r--"))));
        noise = null;
        byte[] base64 = Base64.getEncoder().encode(zip);
        zip = null;
        Worker before = fleet.client.workers().getFirst();
        Duration timeout = Duration.ofSeconds(5); // the controller's default heartbeat timeout

        URI functions = fleet.fleet.lambdaEndpoint().resolve("/2015-03-31/functions");
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        long oldestHeartbeatMs = 0;
        int reads = 0;
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(FleetFixture.THREADS).build()) {
            for (int i = 0; i < UPLOADS; i++) {
                byte[] head = ("{\"FunctionName\":\"burst-" + i + "\",\"Runtime\":\"provided\",\"Handler\":\"probe.handler\","
                        + "\"Code\":{\"ZipFile\":\"").getBytes(StandardCharsets.UTF_8);
                byte[] tail = "\"}}".getBytes(StandardCharsets.UTF_8);
                answers.add(http.sendAsync(HttpRequest.newBuilder(functions).timeout(Duration.ofMinutes(5))
                        .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, base64, tail))).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            // Read the fleet view as the uploads arrive and are decoded.
            while (!answers.stream().allMatch(CompletableFuture::isDone)) {
                // The age when the read was sent: the controller took its view later, so the heartbeat it shows was at
                // least this old then (the read's own time, long on a loaded machine, is not counted against it).
                long sent = System.currentTimeMillis();
                Worker now = fleet.client.workers().getFirst();
                long age = sent - now.getLastHeartbeat().getSeconds() * 1000 - now.getLastHeartbeat().getNanos() / 1_000_000;
                oldestHeartbeatMs = Math.max(oldestHeartbeatMs, age);
                reads++;
                assertEquals(before.getConnectedAt(), now.getConnectedAt(), "the worker was dropped and came back during the burst");
                Thread.sleep(100); // a sampling interval, not a wait for a condition
            }
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.join();
            assertEquals(201, response.statusCode(), response.body());
        }
        assertEquals(before.getConnectedAt(), fleet.client.workers().getFirst().getConnectedAt(), "the worker was never dropped");
        assertTrue(oldestHeartbeatMs < timeout.toMillis(), "a heartbeat " + oldestHeartbeatMs + " ms old during the burst (" + reads
                + " reads of the fleet view; the timeout is " + timeout.toMillis() + " ms)");
        System.out.println("UploadBurstIT: " + UPLOADS + " uploads of " + base64.length + " bytes; oldest heartbeat seen "
                + oldestHeartbeatMs + " ms over " + reads + " reads");
    }
}
