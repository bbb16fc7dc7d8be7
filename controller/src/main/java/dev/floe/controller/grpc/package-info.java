/**
 * The controller's gRPC services, one class per proto service: {@code Functions}, {@code Invocations},
 * {@code Fleet}, and the internal {@code WorkerLink} workers connect to. Each maps request messages to
 * the domain's calls and the domain's {@link dev.floe.common.FloeException}s to a {@code Status} with
 * the {@code floe-error-type} trailer; none holds state or decides anything itself ({@code CallerStream}
 * only tells the invocation when a streaming caller can take the next piece).
 */
package dev.floe.controller.grpc;
