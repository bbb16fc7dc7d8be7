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
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Serves the Runtime API. Each environment gets its own listening socket on loopback, bound to the
 * environment's event loop for both accepting and serving, so the whole exchange between a runtime
 * and its environment runs on one thread without locks.
 */
public final class RuntimeApiServer {
    private static final System.Logger LOG = System.getLogger(RuntimeApiServer.class.getName());

    /** Lambda's limit on a response or error body posted by the runtime. */
    public static final int MAX_BODY_BYTES = 6 * 1024 * 1024;

    /** Most runtimes hold one connection; a few open one per request. More than this is abuse. */
    static final int MAX_CONNECTIONS = 16;

    /**
     * The kernel's receive buffer for a runtime's connection (Linux doubles it for its bookkeeping).
     * Fixed rather than auto-tuned (up to {@code tcp_rmem}'s maximum, tens of MB) because it is what a
     * paused streamed response still holds in the worker: past it, the runtime's write blocks. On
     * loopback it costs nothing in throughput.
     */
    static final int RECEIVE_BUFFER_BYTES = 128 * 1024;

    private final InetAddress host;
    private final Executor checks;

    /** {@code checks} runs the peer checks that read from the kernel. */
    public RuntimeApiServer(Executor checks) {
        this(InetAddress.getLoopbackAddress(), checks);
    }

    public RuntimeApiServer(InetAddress host, Executor checks) {
        this.host = host;
        this.checks = checks;
    }

    /**
     * Opens an endpoint for {@code endpoint} on {@code loop}; its address goes into
     * AWS_LAMBDA_RUNTIME_API. A connection is read from only once {@code peers} allows it.
     */
    public CompletableFuture<Binding> bind(EventLoop loop, RuntimeEndpoint endpoint, PeerCheck peers) {
        ChannelGroup connections = new DefaultChannelGroup("runtime-api", loop);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop, loop)
                .channel(EventLoops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 64)
                // Set on the listening socket so accepted ones inherit it before the handshake; see RECEIVE_BUFFER_BYTES.
                .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec(4096, 16 * 1024, 64 * 1024))
                                .addLast(new RuntimeApiHandler(endpoint, MAX_BODY_BYTES));
                        admit(ch, peers, connections);
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

    /**
     * Starts reading from a connection once its peer is allowed, and while the endpoint has fewer than
     * {@link #MAX_CONNECTIONS} admitted connections; closes it otherwise. Only admitted connections
     * count, so outsiders' refused attempts cannot crowd out the environment's own.
     */
    private void admit(SocketChannel ch, PeerCheck peers, ChannelGroup connections) {
        if (!peers.blocking()) {
            enter(ch, connections);
            return;
        }
        InetSocketAddress peer = ch.remoteAddress();
        InetSocketAddress local = ch.localAddress();
        checks.execute(() -> {
            boolean allowed;
            try {
                allowed = peers.allows(peer, local);
            } catch (IOException | RuntimeException e) {
                allowed = false;
            }
            boolean admitted = allowed;
            ch.eventLoop().execute(() -> {
                if (admitted) {
                    enter(ch, connections);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "refused a Runtime API connection from " + peer
                            + ": not a process of the environment");
                    ch.close();
                }
            });
        });
    }

    private static void enter(SocketChannel ch, ChannelGroup connections) {
        if (connections.size() >= MAX_CONNECTIONS) {
            LOG.log(System.Logger.Level.WARNING, "refused a Runtime API connection: " + MAX_CONNECTIONS + " are open");
            ch.close();
            return;
        }
        connections.add(ch);
        ch.config().setAutoRead(true);
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
