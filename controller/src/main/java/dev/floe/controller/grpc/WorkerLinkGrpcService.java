package dev.floe.controller.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.common.HostPort;
import dev.floe.controller.function.CodeStore;
import dev.floe.controller.registry.FleetView;
import dev.floe.proto.CodeChunk;
import dev.floe.proto.ControllerCommand;
import dev.floe.proto.FetchCodeRequest;
import dev.floe.proto.Registration;
import dev.floe.proto.WorkerLinkGrpc;
import dev.floe.proto.WorkerReport;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The internal {@code WorkerLink} service. {@code Connect} turns a worker's reports into fleet view
 * updates: a registration first (anything else first fails the stream with INVALID_ARGUMENT), under
 * TLS for the id the worker's certificate names ({@link WorkerIdentity}), then heartbeats and
 * environment changes; the stream's end is the worker leaving. {@code FetchCode}
 * streams a stored code package.
 */
public final class WorkerLinkGrpcService extends WorkerLinkGrpc.WorkerLinkImplBase {
    private static final int WORKER_ID_MAX_CHARS = 128;

    private final FleetView fleet;
    private final CodeStore code;
    private final Duration heartbeatInterval;
    private final WorkerIdentity identity;

    public WorkerLinkGrpcService(FleetView fleet, CodeStore code, Duration heartbeatInterval, WorkerIdentity identity) {
        this.fleet = fleet;
        this.code = code;
        this.heartbeatInterval = heartbeatInterval;
        this.identity = identity;
    }

    @Override
    public StreamObserver<WorkerReport> connect(StreamObserver<ControllerCommand> commands) {
        WorkerStream stream = new WorkerStream((ServerCallStreamObserver<ControllerCommand>) commands);
        // Set by WorkerCertificateCheck for the whole call; read once, where the call starts.
        X509Certificate certificate = WorkerCertificateCheck.CERTIFICATE.get();
        return new StreamObserver<>() {
            @Override
            public void onNext(WorkerReport report) {
                try {
                    received(stream, report, certificate);
                } catch (RuntimeException e) {
                    leave(stream);
                    stream.fail(Replies.status(e));
                }
            }

            @Override
            public void onError(Throwable t) {
                leave(stream);
            }

            @Override
            public void onCompleted() {
                leave(stream);
                stream.complete();
            }
        };
    }

    private void received(WorkerStream stream, WorkerReport report, X509Certificate certificate) {
        String workerId = stream.workerId();
        switch (report.getReportCase()) {
            case REGISTRATION -> {
                Registration registration = checked(report.getRegistration());
                if (workerId != null && !workerId.equals(registration.getWorkerId())) {
                    throw invalid("registration as " + registration.getWorkerId() + " on the stream of worker "
                            + workerId + " (expected: one worker id per stream)");
                }
                identity.check(registration, certificate);
                fleet.checkRegistration(registration);
                // Registered goes out before the worker enters the view, so no command can precede it.
                stream.registeredAs(registration.getWorkerId(), heartbeatInterval);
                fleet.register(registration, stream);
            }
            case HEARTBEAT -> fleet.heartbeat(registered(workerId, report), stream, report.getHeartbeat().getMemoryUsedMb());
            case ENVIRONMENT -> fleet.report(registered(workerId, report), stream, report.getEnvironment());
            case REPORT_NOT_SET -> throw invalid("an empty report (expected: a registration, heartbeat or environment)");
        }
    }

    private static String registered(String workerId, WorkerReport report) {
        if (workerId == null) {
            throw invalid("the first report was a " + report.getReportCase().name().toLowerCase(Locale.ROOT)
                    + " (expected: a registration first)");
        }
        return workerId;
    }

    private static Registration checked(Registration r) {
        String id = r.getWorkerId();
        if (id.isBlank() || id.length() > WORKER_ID_MAX_CHARS || id.chars().anyMatch(Character::isWhitespace)) {
            throw invalid("worker_id: \"" + id + "\" (expected: 1 to " + WORKER_ID_MAX_CHARS + " characters without spaces)");
        }
        try {
            if (HostPort.parse(r.getAddress()).port() == 0) {
                throw new IllegalArgumentException("address: \"" + r.getAddress() + "\" (expected: a port above 0)");
            }
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage() + " (the worker's WorkerInvoker service)");
        }
        if (r.getMemoryMb() < FunctionLimits.MEMORY_MIN_MB) {
            throw invalid("memory_mb: " + r.getMemoryMb() + " (expected: at least " + FunctionLimits.MEMORY_MIN_MB + ")");
        }
        return r;
    }

    private void leave(WorkerStream stream) {
        if (stream.workerId() != null) {
            fleet.disconnected(stream.workerId(), stream);
        }
    }

    @Override
    public void fetchCode(FetchCodeRequest request, StreamObserver<CodeChunk> chunks) {
        String sha = request.getSha256().toLowerCase(Locale.ROOT);
        if (!CodeStore.isSha256(sha)) {
            chunks.onError(invalid("sha256: \"" + request.getSha256() + "\" (expected: 64 hex digits)").toStatus());
            return;
        }
        Optional<Path> file = code.findOrFetch(sha);
        FileChannel channel;
        try {
            channel = FileChannel.open(file.orElseThrow(() -> new NoSuchFileException(sha)));
        } catch (NoSuchFileException e) {
            chunks.onError(new FloeException(ErrorType.RESOURCE_NOT_FOUND, "code package " + sha
                    + " not found (expected: the code_sha256 of a stored revision)").toStatus());
            return;
        } catch (IOException e) {
            chunks.onError(new FloeException(ErrorType.SERVICE, "opening code package " + sha + " failed: "
                    + e.getMessage()).toStatus());
            return;
        }
        new CodeChunkStream(channel, (ServerCallStreamObserver<CodeChunk>) chunks).start();
    }

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
