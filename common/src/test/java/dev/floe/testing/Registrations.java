package dev.floe.testing;

import dev.floe.common.FloeException;
import dev.floe.proto.ControllerCommand;
import dev.floe.proto.Registration;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.proto.WorkerReport;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A worker's registration sent by hand, for tests of who the controller admits to its fleet. */
public final class Registrations {
    private Registrations() {}

    /**
     * Registers {@code workerId} over {@code channel} and returns how the controller ended the stream;
     * fails if it answered with a command (admitted) or ended it without an error, or said nothing within {@code wait}.
     */
    public static FloeException refusal(Channel channel, String workerId, Duration wait) throws Exception {
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<WorkerReport> reports = WorkerLinkGrpc.newStub(channel).connect(new StreamObserver<>() {
            @Override
            public void onNext(ControllerCommand command) {
                ended.completeExceptionally(new AssertionError("the controller admitted worker " + workerId + ": " + command));
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onCompleted() {
                ended.completeExceptionally(new AssertionError("the stream ended without a refusal"));
            }
        });
        reports.onNext(WorkerReport.newBuilder().setRegistration(Registration.newBuilder().setWorkerId(workerId)
                .setInstance("i-1").setAddress("127.0.0.1:1").setMemoryMb(1024)).build());
        return FloeException.fromThrowable(ended.get(wait.toMillis(), TimeUnit.MILLISECONDS));
    }
}
