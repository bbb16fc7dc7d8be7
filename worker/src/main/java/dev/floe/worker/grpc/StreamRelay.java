package dev.floe.worker.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.InvokeStreamMessage;
import dev.floe.worker.environment.ResponseStream;
import dev.floe.worker.runtimeapi.ReadGate;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Relays one streamed response from its runtime to the controller at the pace the controller takes
 * it. A piece goes to gRPC only while the call is ready (gRPC holds less than its 32 KB threshold);
 * otherwise it waits here and the runtime's connection stops being read until the call is ready
 * again, so the function's own write blocks once the kernel's buffers are full.
 *
 * <p>Bound: what waits here is what the connection had already read when the pause took effect, at
 * most one piece (the Runtime API passes a read on in pieces of at most 128 KB), so a stream holds about
 * 128 KB here, 32 KB plus one message in gRPC, and the Runtime API socket's receive buffer in the kernel.
 *
 * <p>A controller that cancels (it took this worker for lost, or the call's deadline passed; a caller
 * that goes away does not cancel it) does not stop the function, as in Lambda: the
 * rest of the body is read and dropped, the function runs until it returns or times out, and its
 * environment is then released as after any invocation.
 */
final class StreamRelay implements ResponseStream {
    /**
     * Pieces that waited together go as one message up to this size, so many small writes do not each
     * cost a message; the Runtime API's pieces are no larger ({@code RuntimeApiHandler.STREAM_PIECE_BYTES}).
     */
    static final int MESSAGE_BYTES = 128 * 1024;

    private final ServerCallStreamObserver<InvokeStreamMessage> call;
    /** Bytes waiting in every relay of the worker: its gauge. */
    private final AtomicLong buffered;
    private final ArrayDeque<byte[]> pieces = new ArrayDeque<>();
    private long queuedBytes;
    private ReadGate reads;
    /** The answer, once the invocation ended: sent after the last piece. */
    private InvokeResponse done;
    private boolean anyPiece;
    private boolean closed;

    StreamRelay(ServerCallStreamObserver<InvokeStreamMessage> call, AtomicLong buffered) {
        this.call = call;
        this.buffered = buffered;
        call.setOnReadyHandler(this::drain);
        call.setOnCancelHandler(this::cancelled);
    }

    @Override
    public synchronized void started(ReadGate reads) {
        this.reads = reads;
        if (closed) {
            reads.resume();
        }
    }

    @Override
    public synchronized void chunk(byte[] piece) {
        anyPiece = true;
        if (closed || piece.length == 0) {
            return; // nobody is left to read it: dropped, and the connection keeps being read
        }
        pieces.add(piece);
        queuedBytes += piece.length;
        buffered.addAndGet(piece.length);
        drain();
    }

    /** Whether the runtime streamed anything (else its whole answer goes as one piece). */
    synchronized boolean anyPiece() {
        return anyPiece;
    }

    /** The invocation ended with {@code answer}: it goes after every piece still waiting. */
    synchronized void finish(InvokeResponse answer) {
        done = answer;
        drain();
    }

    /** The invocation failed: the caller gets {@code status} (with its trailers) now, and what still waits is dropped. */
    synchronized void fail(StatusRuntimeException status) {
        if (closed) {
            return;
        }
        close();
        try {
            call.onError(status);
        } catch (IllegalStateException cancelledMeanwhile) {
            // the controller went away meanwhile; nobody is left to tell
        }
    }

    private synchronized void drain() {
        if (closed) {
            return;
        }
        while (!pieces.isEmpty() && call.isReady()) {
            call.onNext(InvokeStreamMessage.newBuilder().setChunk(nextMessage()).build());
        }
        if (pieces.isEmpty() && done != null) {
            InvokeResponse answer = done;
            close();
            call.onNext(InvokeStreamMessage.newBuilder().setDone(answer).build());
            call.onCompleted();
            return;
        }
        if (reads != null) {
            if (pieces.isEmpty() && call.isReady()) {
                reads.resume();
            } else {
                reads.pause();
            }
        }
    }

    /** The waiting pieces, joined up to {@link #MESSAGE_BYTES} (a larger piece goes alone). */
    private ByteString nextMessage() {
        // Wrapped, not copied: each piece is a fresh array handed over to this stream (ResponseStream.chunk).
        ByteString message = UnsafeByteOperations.unsafeWrap(pieces.poll());
        while (!pieces.isEmpty() && message.size() + pieces.peek().length <= MESSAGE_BYTES) {
            message = message.concat(UnsafeByteOperations.unsafeWrap(pieces.poll()));
        }
        queuedBytes -= message.size();
        buffered.addAndGet(-message.size());
        return message;
    }

    private synchronized void cancelled() {
        close();
    }

    /** No more messages: drops what waits and lets the runtime's body be read (and dropped) to its end. */
    private void close() {
        closed = true;
        buffered.addAndGet(-queuedBytes);
        queuedBytes = 0;
        pieces.clear();
        if (reads != null) {
            reads.resume();
        }
    }
}
