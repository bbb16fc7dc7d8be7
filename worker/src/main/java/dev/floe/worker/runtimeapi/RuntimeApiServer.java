package dev.floe.worker.runtimeapi;

import dev.floe.common.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Serves the Runtime API. Each environment gets its own listening socket on loopback, bound to the
 * environment's event loop for both accepting and serving, so the whole exchange between a runtime
 * and its environment runs on one thread without locks.
 */
public final class RuntimeApiServer {
    /** Lambda's limit on a response or error body posted by the runtime. */
    public static final int MAX_BODY_BYTES = 6 * 1024 * 1024;

    private final InetAddress host;

    public RuntimeApiServer() {
        this(InetAddress.getLoopbackAddress());
    }

    public RuntimeApiServer(InetAddress host) {
        this.host = host;
    }

    /** Opens an endpoint for {@code endpoint} on {@code loop}; its address goes into AWS_LAMBDA_RUNTIME_API. */
    public CompletableFuture<Binding> bind(EventLoop loop, RuntimeEndpoint endpoint) {
        ChannelGroup connections = new DefaultChannelGroup("runtime-api", loop);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop, loop)
                .channel(EventLoops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 64)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(new HttpServerCodec(4096, 16 * 1024, 64 * 1024))
                                .addLast(new RuntimeApiHandler(endpoint, MAX_BODY_BYTES));
                    }
                });
        CompletableFuture<Binding> bound = new CompletableFuture<>();
        ChannelFuture future = bootstrap.bind(new InetSocketAddress(host, 0));
        future.addListener(f -> {
            if (f.isSuccess()) {
                bound.complete(new Binding(future.channel(), connections));
            } else {
                bound.completeExceptionally(f.cause());
            }
        });
        return bound;
    }

    /** An environment's endpoint; closing it closes the listening socket and every connection to it. */
    public static final class Binding implements AutoCloseable {
        private final Channel server;
        private final ChannelGroup connections;

        Binding(Channel server, ChannelGroup connections) {
            this.server = server;
            this.connections = connections;
        }

        /** {@code host:port}, as AWS_LAMBDA_RUNTIME_API takes it. */
        public String address() {
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            return address.getAddress().getHostAddress() + ":" + address.getPort();
        }

        @Override
        public void close() {
            server.close();
            connections.close();
        }
    }
}
