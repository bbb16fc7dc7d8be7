package dev.floe.worker.link;

import dev.floe.proto.CodeChunk;
import dev.floe.proto.FetchCodeRequest;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.worker.code.CodeSource;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Fetches code packages from the controller, streamed in chunks straight to disk. */
public final class ControllerCodeSource implements CodeSource {
    private final WorkerLinkGrpc.WorkerLinkStub stub;

    public ControllerCodeSource(Channel controller) {
        this.stub = WorkerLinkGrpc.newStub(controller);
    }

    @Override
    public CompletableFuture<Void> fetch(String sha256, Path target) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        OutputStream out;
        try {
            out = Files.newOutputStream(target);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        stub.withDeadlineAfter(5, TimeUnit.MINUTES)
                .fetchCode(FetchCodeRequest.newBuilder().setSha256(sha256).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(CodeChunk chunk) {
                        try {
                            chunk.getData().writeTo(out);
                        } catch (IOException e) {
                            done.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        close();
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        close();
                        done.complete(null);
                    }

                    private void close() {
                        try {
                            out.close();
                        } catch (IOException e) {
                            done.completeExceptionally(e);
                        }
                    }
                });
        return done;
    }
}
