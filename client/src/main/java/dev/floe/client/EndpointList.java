package dev.floe.client;

import dev.floe.common.HostPort;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

/**
 * The controllers a client was given, as one gRPC target: grpc's pick-first policy uses the first that
 * answers and moves to the next when its connection breaks, so a client of a cluster of controllers
 * fails over without a restart. Calls in flight on a controller that died fail (ServiceUnavailable);
 * the next call goes to another.
 */
public final class EndpointList extends NameResolver.Factory {
    static final String SCHEME = "floe-endpoints";

    private final List<HostPort> endpoints;

    EndpointList(List<HostPort> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    /** A channel builder over {@code endpoints}: the address itself for one, pick-first over the list for several. */
    @SuppressWarnings("deprecation") // nameResolverFactory: the one way to give a channel its own resolver without a registry
    public static io.grpc.netty.NettyChannelBuilder channel(List<HostPort> endpoints) {
        if (endpoints.size() == 1) {
            return io.grpc.netty.NettyChannelBuilder.forAddress(endpoints.getFirst().host(), endpoints.getFirst().port());
        }
        EndpointList list = new EndpointList(endpoints);
        return io.grpc.netty.NettyChannelBuilder.forTarget(list.target()).nameResolverFactory(list);
    }

    /** The target naming these endpoints; its authority (TLS's expected name) is the first's host. */
    String target() {
        return SCHEME + "://" + endpoints.getFirst().host() + "/";
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        return new NameResolver() {
            @Override
            public String getServiceAuthority() {
                return endpoints.getFirst().host();
            }

            @Override
            public void start(Listener2 listener) {
                List<EquivalentAddressGroup> groups = endpoints.stream()
                        .map(e -> new EquivalentAddressGroup(new InetSocketAddress(e.host(), e.port()))).toList();
                listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(io.grpc.StatusOr.fromValue(groups)).build());
            }

            @Override
            public void shutdown() {}
        };
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }
}
