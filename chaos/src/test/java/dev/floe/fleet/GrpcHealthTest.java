package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.ClusterToken;
import dev.floe.common.HostPort;
import dev.floe.common.tls.CertificateAuthority;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.ClusterTls;
import dev.floe.controller.Controller;
import dev.floe.launcher.LocalFleet;
import dev.floe.testing.Await;
import dev.floe.testing.Processes;
import dev.floe.testing.TestDirs;
import dev.floe.worker.Worker;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a load balancer, a Kubernetes probe and grpcurl see on a real controller and worker: health answers
 * without the token, per service, and follows readiness (no worker connected, the link down, shutdown);
 * reflection lists Floe's services to a caller with the token and refuses one without.
 */
class GrpcHealthTest {
    private static final String INVOCATIONS = "floe.v1.Invocations";

    @Test
    void healthFollowsReadinessWithoutTheTokenAndReflectionNeedsIt() throws Exception {
        Path data = TestDirs.create("grpc-health");
        ClusterToken token = ClusterToken.generate();
        Controller controller = Controller.builder().port(0).bindHost("127.0.0.1").dataDir(data.resolve("controller")).token(token)
                .build().start();
        Worker worker = null;
        ManagedChannel toController = channel(new HostPort("127.0.0.1", controller.port()));
        ManagedChannel toWorker = null;
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(toController).withDeadlineAfter(30, TimeUnit.SECONDS);
            assertEquals(ServingStatus.SERVING, status(health, ""), "the controller as a whole serves");
            assertEquals(ServingStatus.SERVING, status(health, "floe.v1.Functions"));
            assertEquals(ServingStatus.NOT_SERVING, status(health, INVOCATIONS), "no worker is connected: invocations cannot run");
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> status(health, "floe.v1.Nothing"));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

            worker = Worker.builder().id("health-1").controller(new HostPort("127.0.0.1", controller.port())).token(token)
                    .listenHost("127.0.0.1").memoryMb(512).dataDir(data.resolve("worker")).build().start();
            Await.until(Duration.ofSeconds(30), "Invocations turns SERVING once the worker registers",
                    () -> status(health, INVOCATIONS) == ServingStatus.SERVING);

            toWorker = channel(HostPort.parse(worker.address()));
            HealthGrpc.HealthBlockingStub workerHealth = HealthGrpc.newBlockingStub(toWorker).withDeadlineAfter(30, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(30), "the worker serves once linked", () -> status(workerHealth, "") == ServingStatus.SERVING);
            assertEquals(ServingStatus.SERVING, status(workerHealth, "floe.v1.WorkerInvoker"));

            // Reflection: refused without the token, Floe's services with it.
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> services(toController, null));
            assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
            List<String> listed = services(toController, token);
            assertTrue(listed.containsAll(List.of("floe.v1.Functions", INVOCATIONS, "floe.v1.Fleet", "grpc.health.v1.Health")), listed.toString());
            ManagedChannel workerChannel = toWorker;
            assertTrue(services(workerChannel, token).contains("floe.v1.WorkerInvoker"));
            assertEquals(Status.Code.UNAUTHENTICATED,
                    assertThrows(StatusRuntimeException.class, () -> services(workerChannel, null)).getStatus().getCode());

            // Without its controller the worker still answers, and says it does not serve.
            controller.close();
            Await.until(Duration.ofSeconds(30), "the worker turns NOT_SERVING when its link drops",
                    () -> status(workerHealth, "") == ServingStatus.NOT_SERVING);
        } finally {
            toController.shutdownNow();
            if (toWorker != null) {
                toWorker.shutdownNow();
            }
            if (worker != null) {
                worker.close();
            }
            controller.close();
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    @Test
    void overTlsAWorkersHealthAnswersAnyClusterCertificateWithoutTheTokenWhileItsInvokerStaysTheControllers() throws Exception {
        Path data = TestDirs.create("grpc-health-tls");
        Path clusterDir = data.resolve("cluster");
        CertificateAuthority.create(clusterDir).issue("node", CertificateRole.CONTROLLER, List.of("127.0.0.1"), clusterDir);
        Path clientDir = data.resolve("client");
        CertificateAuthority.open(clusterDir).issue("probe", CertificateRole.CLIENT, List.of("127.0.0.1"), clientDir);
        LocalFleet fleet = LocalFleet.builder().workers(1).port(0).dataDir(data.resolve("fleet")).workerMemoryMb(512)
                .tls(ClusterTls.fromDirectory(clusterDir)).start().awaitRegistered(Duration.ofSeconds(30));
        HostPort workerAddress = HostPort.parse(fleet.workers().getFirst().address());
        // The worker presents the controller's certificate under floe up --tls: the probe accepts either role.
        ManagedChannel toWorker = NettyChannelBuilder.forAddress(workerAddress.host(), workerAddress.port())
                .sslContext(ClusterTls.fromDirectory(clientDir).clientContext(CertificateRole.WORKER, CertificateRole.CONTROLLER)).build();
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(toWorker).withDeadlineAfter(30, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(30), "the worker's health says SERVING to a client's certificate",
                    () -> status(health, "floe.v1.WorkerInvoker") == ServingStatus.SERVING);
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> services(toWorker, fleet.controller().token()));
            assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), "everything else on a worker is the controller's alone");
        } finally {
            toWorker.shutdownNow();
            fleet.close();
        }
        Processes.assertNoneLeft(data.toString(), Duration.ofSeconds(10));
        TestDirs.delete(data);
    }

    private static ManagedChannel channel(HostPort address) {
        return NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
    }

    private static ServingStatus status(HealthGrpc.HealthBlockingStub health, String service) {
        return health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    /** The services reflection lists, asking with {@code token} (none when null). */
    private static List<String> services(ManagedChannel channel, ClusterToken token) throws Exception {
        ServerReflectionGrpc.ServerReflectionStub stub = ServerReflectionGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        if (token != null) {
            stub = stub.withInterceptors(token.attach());
        }
        CompletableFuture<List<String>> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = stub.serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse response) {
                answer.complete(response.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.completeExceptionally(new IllegalStateException("no answer"));
            }
        });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        try {
            return answer.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : e;
        }
    }
}
