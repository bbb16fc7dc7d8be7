package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.ClusterToken;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.ControllerStatus;
import dev.floe.proto.ControllersGrpc;
import dev.floe.proto.GetInvocationRequest;
import dev.floe.proto.InvokeAsyncRequest;
import dev.floe.proto.InvokeRequest;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.ListControllersRequest;
import dev.floe.proto.ListControllersResponse;
import dev.floe.testing.Await;
import dev.floe.testing.EtcdProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three controllers sharing one real etcd, each with a test worker of its own: a call through any
 * controller runs where its function's owner places it, every shard is held, and the shards of a
 * controller that leaves go to the others.
 */
class ControllerClusterTest {
    private static final ClusterToken TOKEN = ClusterToken.generate();
    @TempDir
    Path dir;
    private EtcdProcess etcd;
    private final List<ControllerFixture> controllers = new ArrayList<>();

    @AfterEach
    void stop() {
        try {
            controllers.forEach(ControllerFixture::closeWhileOthersRun);
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
        Threads.assertNoneLeft("floe-controller-", "test-worker-", "test-client-", "vert.x-");
    }

    private ControllerFixture controller(String id, List<URI> endpoints) {
        ControllerFixture c = ControllerFixture.start(dir.resolve(id), b -> b.etcd(endpoints).memberId(id).token(TOKEN)
                .lease(Duration.ofSeconds(2)));
        controllers.add(c);
        c.worker("w-" + id, 1024);
        return c;
    }

    private static ListControllersResponse members(ControllerFixture c) {
        return ControllersGrpc.newBlockingStub(c.channel()).listControllers(ListControllersRequest.getDefaultInstance());
    }

    /** Whether {@code c} sees exactly these members, holding every shard between them. */
    private static boolean settled(ControllerFixture c, Set<String> ids) {
        ListControllersResponse r = members(c);
        Set<String> seen = new HashSet<>();
        int shards = 0;
        for (ControllerStatus s : r.getControllersList()) {
            seen.add(s.getMember().getId());
            shards += s.getShardsCount();
            if (s.getShardsCount() == 0) {
                return false;
            }
        }
        return seen.equals(ids) && shards == r.getShardCount();
    }

    private static String runsOn(ControllerFixture c, String function) {
        InvokeResponse r = c.invocations().withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                .invoke(InvokeRequest.newBuilder().setFunction(function).setPayload(ByteString.copyFromUtf8("hi")).build());
        return r.getWorkerId();
    }

    @Test
    void everyControllerServesEveryFunctionThroughItsOwnerAndALeavingOnesShardsMove() {
        etcd = EtcdProcess.start();
        ControllerFixture a = controller("c1", etcd.endpoints());
        ControllerFixture b = controller("c2", etcd.endpoints());
        ControllerFixture c = controller("c3", etcd.endpoints());
        Await.until(Duration.ofSeconds(20), "three controllers holding the 64 shards", () -> settled(a, Set.of("c1", "c2", "c3")));

        List<String> names = List.of("alpha", "beta", "gamma", "delta", "epsilon", "zeta");
        names.forEach(n -> a.create(n, 128));
        String sha = a.functions().getFunction(dev.floe.proto.GetFunctionRequest.newBuilder().setName("alpha").build()).getCodeSha256();
        long holders = Stream.of("c1", "c2", "c3").filter(id -> Files.exists(dir.resolve(id).resolve("code").resolve(sha + ".zip"))).count();
        assertTrue(holders >= 2, "the code package is on two controllers before the create returned: " + holders);
        for (ControllerFixture f : controllers) {
            var chunks = f.link().fetchCode(dev.floe.proto.FetchCodeRequest.newBuilder().setSha256(sha).build());
            assertTrue(chunks.hasNext(), "every controller sends the package, fetching it from a holder if need be");
            chunks.forEachRemaining(chunk -> { });
        }
        assertEquals(3, Stream.of("c1", "c2", "c3").filter(id -> Files.exists(dir.resolve(id).resolve("code").resolve(sha + ".zip"))).count());
        Set<String> placedOn = new HashSet<>();
        for (String n : names) {
            String worker = runsOn(a, n);
            assertEquals(worker, runsOn(b, n), n + ": the owner places it, whichever controller was called");
            assertEquals(worker, runsOn(c, n), n + ": the owner places it, whichever controller was called");
            placedOn.add(worker);
        }
        assertTrue(placedOn.size() > 1, "six functions spread over more than one owner: " + placedOn);

        // The owner of "alpha" leaves; its shards go to the two left, and calls go on through them.
        String leaving = runsOn(b, "alpha").substring(2);
        ControllerFixture gone = controllers.stream().filter(f -> members(f).getControllersList().stream()
                .anyMatch(s -> s.getAnswering() && s.getMember().getId().equals(leaving))).findFirst().orElseThrow();
        controllers.remove(gone);
        gone.closeWhileOthersRun();
        ControllerFixture left = controllers.getFirst();
        Set<String> rest = new HashSet<>(Set.of("c1", "c2", "c3"));
        rest.remove(leaving);
        Await.until(Duration.ofSeconds(20), "two controllers holding the 64 shards", () -> settled(left, rest));
        for (ControllerFixture f : controllers) {
            assertTrue(rest.contains(runsOn(f, "alpha").substring(2)), "alpha runs on a controller still there");
        }

        // Accepted through one controller, run by the owner.
        String id = left.invocations().invokeAsync(InvokeAsyncRequest.newBuilder().setFunction("beta")
                .addPayloads(ByteString.copyFromUtf8("later")).build()).getInvocationIds(0);
        for (ControllerFixture f : controllers) {
            Await.until(Duration.ofSeconds(20), "the event ran, as seen through every controller", () -> f.invocations()
                    .getInvocation(GetInvocationRequest.newBuilder().setInvocationId(id).build()).getStatus()
                    == AsyncInvocation.Status.SUCCEEDED);
        }
    }

    @Test
    void withoutEtcdsMajorityWritesFailFastAndKnownFunctionsStillRun() throws Exception {
        etcd = EtcdProcess.start();
        ControllerFixture only = controller("solo", etcd.endpoints());
        Await.until(Duration.ofSeconds(20), "the controller holding the 64 shards", () -> settled(only, Set.of("solo")));
        only.create("known", 128);
        String worker = runsOn(only, "known");

        // A one-member etcd stopped is an etcd without its majority.
        new ProcessBuilder("kill", "-STOP", Long.toString(etcd.pid())).start().waitFor();
        try {
            long started = System.nanoTime();
            io.grpc.StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> only.create("unborn", 128));
            long tookMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            dev.floe.common.FloeException e = dev.floe.common.FloeException.fromThrowable(refused);
            assertEquals(dev.floe.common.ErrorType.SERVICE_UNAVAILABLE, e.type(), e.getMessage());
            assertTrue(e.getMessage().contains("etcd"), "the error says what is missing: " + e.getMessage());
            assertTrue(tookMs < 15_000, "a write fails fast, not at the caller's deadline: " + tookMs + " ms");
            assertEquals(worker, runsOn(only, "known"), "a known function's invocations go on");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(etcd.pid())).start().waitFor();
        }
    }
}
