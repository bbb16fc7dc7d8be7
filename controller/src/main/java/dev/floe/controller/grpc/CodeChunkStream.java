package dev.floe.controller.grpc;

import com.google.protobuf.UnsafeByteOperations;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.CodeChunk;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Streams one code package in chunks, only as fast as the worker reads: a chunk is sent only while
 * the call is ready, so a 50 MB package never sits whole in the controller's send buffers.
 */
final class CodeChunkStream {
    static final int CHUNK_BYTES = 1024 * 1024;

    private final FileChannel file;
    private final ServerCallStreamObserver<CodeChunk> out;
    private boolean done;

    CodeChunkStream(FileChannel file, ServerCallStreamObserver<CodeChunk> out) {
        this.file = file;
        this.out = out;
    }

    /** Must be called from the service method, before it returns. */
    void start() {
        out.setOnCancelHandler(this::finish);
        out.setOnReadyHandler(this::pump);
        pump();
    }

    private synchronized void pump() {
        try {
            while (!done && out.isReady()) {
                byte[] chunk = new byte[CHUNK_BYTES];
                ByteBuffer buffer = ByteBuffer.wrap(chunk);
                int n;
                while (buffer.hasRemaining() && (n = file.read(buffer)) >= 0) {
                    if (n == 0) {
                        break;
                    }
                }
                if (buffer.position() > 0) {
                    // The array is fresh and never touched again, so the message can wrap it without a copy.
                    out.onNext(CodeChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(chunk, 0, buffer.position())).build());
                }
                if (buffer.hasRemaining()) {
                    finish();
                    out.onCompleted();
                }
            }
        } catch (IOException e) {
            finish();
            out.onError(new FloeException(ErrorType.SERVICE, "reading the code package failed: " + e.getMessage()).toStatus());
        }
    }

    private synchronized void finish() {
        if (!done) {
            done = true;
            try {
                file.close();
            } catch (IOException ignored) {
                // read-only; nothing is lost
            }
        }
    }
}
