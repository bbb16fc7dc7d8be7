package dev.floe.worker.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.PeerCertificate;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.X509Certificate;

/**
 * Over TLS, a worker's port takes calls from the controller alone: the peer's certificate must have
 * role {@code controller}. The handshake has already checked it chains to the cluster's CA, which every
 * worker's certificate does too; without this, a key taken from one worker (with the token, which every
 * worker has) could run functions on any other, past the controller's admission and placement.
 */
public final class ControllerCertificateCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getServiceName().equals(io.grpc.health.v1.HealthGrpc.SERVICE_NAME)) {
            // The handshake has checked the peer's certificate; health tells nothing a cluster member may not know.
            return next.startCall(call, headers);
        }
        X509Certificate peer = PeerCertificate.verified(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        String refusal = peer == null
                ? "a worker takes calls only from its controller (expected: a certificate with role controller, which floe tls init makes)"
                : CertificateRole.refusal(peer, "the caller", CertificateRole.CONTROLLER);
        if (refusal == null) {
            return next.startCall(call, headers);
        }
        FloeException error = new FloeException(ErrorType.UNAUTHENTICATED, refusal + "; a worker takes calls only from its controller");
        call.close(error.toStatus().getStatus(), error.toStatus().getTrailers());
        return new ServerCall.Listener<>() {};
    }
}
