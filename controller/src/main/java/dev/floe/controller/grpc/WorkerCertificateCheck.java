package dev.floe.controller.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.tls.CertificateRole;
import dev.floe.common.tls.PeerCertificate;
import dev.floe.proto.WorkerLinkGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.X509Certificate;

/**
 * With TLS, only a peer that presented a certificate signed by the cluster's CA may use
 * {@code WorkerLink} (register as a worker, fetch code): the token alone, which clients also hold and
 * which may leak, is not enough to join the fleet. The TLS handshake has already checked the chain
 * against the CA; clients may connect without a certificate, so this is where a worker must have one.
 * Its role must be {@code worker} (or {@code controller}, whose certificate {@code floe up --tls} shares
 * with its local workers): a client's certificate, or one made before roles, cannot join the fleet.
 * The certificate goes with the call in {@link #CERTIFICATE}, for {@link WorkerIdentity} to hold the
 * worker to the name (CN) it was issued for.
 */
public final class WorkerCertificateCheck implements ServerInterceptor {
    /** On a {@code WorkerLink} call over TLS: the certificate the peer presented, verified. Absent in plaintext. */
    public static final Context.Key<X509Certificate> CERTIFICATE = Context.key("floe-worker-certificate");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getServiceName().equals(WorkerLinkGrpc.SERVICE_NAME)) {
            return next.startCall(call, headers);
        }
        X509Certificate peer = PeerCertificate.verified(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        String role = peer == null ? null : CertificateRole.refusal(peer, "a worker", CertificateRole.WORKER, CertificateRole.CONTROLLER);
        if (peer != null && role == null) {
            return Contexts.interceptCall(Context.current().withValue(CERTIFICATE, peer), call, headers, next);
        }
        FloeException refusal = new FloeException(ErrorType.UNAUTHENTICATED, peer == null ? "a worker must present a certificate"
                + " signed by this cluster's CA (expected: floe worker --tls-dir DIR with the cert.pem and key.pem that floe tls issue"
                + " makes)" : role);
        call.close(refusal.toStatus().getStatus(), refusal.toStatus().getTrailers());
        return new ServerCall.Listener<>() {};
    }
}
