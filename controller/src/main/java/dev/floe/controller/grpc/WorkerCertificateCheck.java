package dev.floe.controller.grpc;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.WorkerLinkGrpc;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * With TLS, only a peer that presented a certificate signed by the cluster's CA may use
 * {@code WorkerLink} (register as a worker, fetch code): the token alone, which clients also hold and
 * which may leak, is not enough to join the fleet. The TLS handshake has already checked the chain
 * against the CA; clients may connect without a certificate, so this is where a worker must have one.
 */
public final class WorkerCertificateCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getServiceName().equals(WorkerLinkGrpc.SERVICE_NAME) || verified(call)) {
            return next.startCall(call, headers);
        }
        FloeException refusal = new FloeException(ErrorType.UNAUTHENTICATED, "a worker must present a certificate signed by this"
                + " cluster's CA (expected: floe worker --tls-dir DIR with the cert.pem and key.pem that floe tls issue makes)");
        call.close(refusal.toStatus().getStatus(), refusal.toStatus().getTrailers());
        return new ServerCall.Listener<>() {};
    }

    private static boolean verified(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return false;
        }
        try {
            return session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }
}
