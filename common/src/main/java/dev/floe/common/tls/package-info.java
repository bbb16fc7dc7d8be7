/**
 * TLS for Floe's gRPC ports: the cluster's files ({@code ca.pem}, a node's {@code cert.pem} and
 * {@code key.pem}) read into Netty SSL contexts for servers and channels ({@link dev.floe.common.tls.ClusterTls}),
 * the small certificate authority that makes them ({@link dev.floe.common.tls.CertificateAuthority}), and the role
 * each certificate carries ({@link dev.floe.common.tls.CertificateRole}), which channels check of servers.
 */
package dev.floe.common.tls;
