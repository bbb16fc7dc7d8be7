package dev.floe.common;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret every party of one Floe cluster shares: the controller, its workers and its clients
 * send it with every call, and refuse a call without it. Without it, anything that can reach a port,
 * a function's own code included, could register a rogue worker, fetch any function's code or invoke
 * a worker directly. It travels as {@code authorization: Bearer TOKEN}. The command line keeps it in
 * {@code ~/.floe/token}, an embedded controller in {@code <data>/token}: readable by their owner only.
 */
public final class ClusterToken {
    /** The metadata key the token travels in. */
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String SCHEME = "Bearer ";
    private static final int MIN_LENGTH = 16;
    private static final int MAX_LENGTH = 512;

    private final String value;
    private final byte[] bytes;

    private ClusterToken(String value) {
        this.value = value;
        this.bytes = value.getBytes(StandardCharsets.US_ASCII);
    }

    /** A new token: 32 random bytes, URL-safe base64. */
    public static ClusterToken generate() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return new ClusterToken(Base64.getUrlEncoder().withoutPadding().encodeToString(random));
    }

    /** A token given as text (e.g. {@code $FLOE_TOKEN}); surrounding whitespace is ignored. */
    public static ClusterToken parse(String text) {
        Check.notNull("token", text);
        String value = text.strip();
        if (value.length() < MIN_LENGTH || value.length() > MAX_LENGTH || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("token: " + value.length() + " characters (expected: " + MIN_LENGTH + ".."
                    + MAX_LENGTH + " printable ASCII characters without spaces, such as the contents of ~/.floe/token)");
        }
        return new ClusterToken(value);
    }

    /** Reads the token kept in {@code file}. */
    public static ClusterToken read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("cannot read the cluster token in " + file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException("cannot read the cluster token in " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the token kept in {@code file}, or makes one and keeps it there, readable by its owner only. */
    public static ClusterToken readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            return read(file);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        ClusterToken token = generate();
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(partial, token.value + "\n", StandardCharsets.US_ASCII);
        try {
            // A link, unlike a move, fails when another process made the token first: then its token wins.
            Files.createLink(file, partial);
        } catch (FileAlreadyExistsException raced) {
            return read(file);
        } finally {
            Files.deleteIfExists(partial);
        }
        return token;
    }

    /** The token as text, to hand to a worker or client; never logged. */
    public String reveal() {
        return value;
    }

    /** Refuses every call that does not carry this token, with {@link ErrorType#UNAUTHENTICATED}. */
    public ServerInterceptor check() {
        return checkExcept(java.util.Set.of());
    }

    /**
     * Like {@link #check()}, but lets calls to the services named in {@code openServices} through without the
     * token: {@code grpc.health.v1.Health}, which load balancers and Kubernetes probes call knowing no secret.
     */
    public ServerInterceptor checkExcept(java.util.Set<String> openServices) {
        java.util.Set<String> open = java.util.Set.copyOf(Check.notNull("openServices", openServices));
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                if (open.contains(call.getMethodDescriptor().getServiceName())) {
                    return next.startCall(call, headers);
                }
                String presented = headers.get(AUTHORIZATION);
                String problem = problem(presented);
                if (problem == null) {
                    return next.startCall(call, headers);
                }
                FloeException refusal = new FloeException(ErrorType.UNAUTHENTICATED, problem);
                call.close(refusal.toStatus().getStatus(), refusal.toStatus().getTrailers());
                return new ServerCall.Listener<>() {};
            }
        };
    }

    private String problem(String presented) {
        if (presented == null) {
            return "this Floe cluster requires its token (expected: metadata 'authorization: Bearer TOKEN';"
                    + " the floe command line sends the one in --token-file, $FLOE_TOKEN or ~/.floe/token)";
        }
        byte[] given = presented.startsWith(SCHEME) ? presented.substring(SCHEME.length()).getBytes(StandardCharsets.US_ASCII) : new byte[0];
        // Constant time: the comparison must not tell a caller how much of a guess was right.
        return MessageDigest.isEqual(given, bytes) ? null
                : "the cluster token does not match this Floe cluster's (expected: the controller's, which floe controller"
                        + " keeps in ~/.floe/token of the user who started it unless given --token-file)";
    }

    /** Sends this token with every call made through a channel. */
    public ClientInterceptor attach() {
        String header = SCHEME + value;
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(AUTHORIZATION, header);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClusterToken token && MessageDigest.isEqual(bytes, token.bytes);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** Never the token itself: it must not end up in a log. */
    @Override
    public String toString() {
        return "ClusterToken[redacted]";
    }
}
