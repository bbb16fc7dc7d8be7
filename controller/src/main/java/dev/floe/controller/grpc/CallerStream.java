package dev.floe.controller.grpc;

import com.google.protobuf.ByteString;
import dev.floe.controller.invoke.ChunkSink;
import dev.floe.proto.InvokeStreamMessage;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * A caller's {@code InvokeStream} call as a {@link ChunkSink}: each piece goes out at once, and the
 * next is asked for only when the call is ready (gRPC holds less than its 32 KB threshold for it),
 * so a caller that reads slowly slows its worker rather than filling the controller.
 */
final class CallerStream implements ChunkSink {
    private final ServerCallStreamObserver<InvokeStreamMessage> call;
    /** What asks for the next piece, while the call is not ready for it. */
    private Runnable more;

    CallerStream(ServerCallStreamObserver<InvokeStreamMessage> call) {
        this.call = call;
        call.setOnReadyHandler(this::askIfReady);
    }

    @Override
    public void accept(ByteString chunk, Runnable more) {
        synchronized (this) {
            if (call.isCancelled()) {
                return; // the invocation is being cancelled: the Invoker drops the rest (ChunkDrain)
            }
            call.onNext(InvokeStreamMessage.newBuilder().setChunk(chunk).build());
            this.more = more;
        }
        // Also checked here, not only on the ready event: the call may have become ready before `more` was kept.
        askIfReady();
    }

    private void askIfReady() {
        Runnable next;
        synchronized (this) {
            if (more == null || !call.isReady()) {
                return;
            }
            next = more;
            more = null;
        }
        next.run();
    }
}
