package dev.floe.worker.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.tls.CertificateRole;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Over TLS, a worker's port takes calls from the controller alone: the peer's certificate must have
 * role {@code controller}. The handshake has already checked it chains to the cluster's CA, which every
 * worker's certificate does too; without this, a key taken from one worker (with the token, which every
 * worker has) could run functions on any other, past the controller's admission and placement.
 */
public final class ControllerCertificateCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        X509Certificate peer = verifiedPeer(call);
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

    /** The peer's own certificate, which the handshake verified against the CA; null if none (the server requires one). */
    private static X509Certificate verifiedPeer(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
