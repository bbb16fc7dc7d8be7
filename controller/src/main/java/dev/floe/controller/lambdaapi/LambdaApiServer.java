package dev.floe.controller.lambdaapi;

import dev.floe.common.Check;
import dev.floe.common.EventLoops;
import dev.floe.common.FileTrees;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Lambda's HTTP API over Netty HTTP/1.1, on the controller's event loops: bound connections ({@link
 * ConnectionCap}) and their time ({@link ConnectionTimeouts}), parse, decide on each request from its
 * headers and take its body in as it arrives ({@link RequestGate}: code uploads to files under
 * {@code uploads}), and hand each request to {@link LambdaApi}. With a TLS context it speaks HTTPS: the
 * TLS handler comes first (after the connection cap, so a refused connection costs no handshake), and the
 * handshake is timed as a request is. Closing it stops listening and closes every open connection.
 */
public final class LambdaApiServer implements AutoCloseable {
    private final Channel server;
    private final ChannelGroup connections;

    private LambdaApiServer(Channel server, ChannelGroup connections) {
        this.server = server;
        this.connections = connections;
    }

    /**
     * Binds {@code host:port} (0: any free port) and serves until closed: HTTPS with {@code tls} (a server context, e.g.
     * {@code ClusterTls.httpsServerContext()}), HTTP with null. Code uploads are written under {@code uploads} as they
     * arrive (created if need be; what a previous run left there is removed).
     */
    public static LambdaApiServer start(String host, int port, EventLoopGroup loops, Executor handlers, LambdaApi api,
            ConnectionLimits limits, SslContext tls, Path uploads) throws IOException {
        if (tls != null && tls.isClient()) {
            throw new IllegalArgumentException("tls: a client context (expected: a server context, as ClusterTls.httpsServerContext makes)");
        }
        Check.range("port", port, 0, 65_535);
        Check.notNull("limits", limits);
        FileTrees.delete(uploads);
        Files.createDirectories(uploads);
        ConnectionCap cap = new ConnectionCap(limits.maxConnections(), limits.maxConnectionsPerAddress());
        ChannelGroup connections = new DefaultChannelGroup("floe-lambda-api", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(EventLoops.serverChannelType())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (!cap.admit(ch)) {
                            return;
                        }
                        connections.add(ch);
                        ConnectionTimeouts timeouts = new ConnectionTimeouts(limits);
                        if (tls != null) {
                            SslHandler ssl = tls.newHandler(ch.alloc());
                            // The connection's clocks time the handshake; SslHandler's own would cut it at 10 s whatever they say.
                            ssl.setHandshakeTimeoutMillis(0);
                            ch.pipeline().addLast(timeouts.handshake(), ssl);
                        }
                        ch.pipeline().addLast(timeouts.bytes(), new HttpServerCodec(), timeouts.messages(),
                                new RequestGate(api, cap, uploads), new HttpChannelHandler(api, handlers));
                    }
                });
        try {
            Channel channel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
            return new LambdaApiServer(channel, connections);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the Lambda API on " + host + ":" + port, e);
        } catch (Exception e) {
            throw new IOException("cannot serve the Lambda API on " + host + ":" + port + ": " + e.getMessage()
                    + " (expected: a free port; set another with --lambda-port)", e);
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Stops listening and closes every connection. Idempotent. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
