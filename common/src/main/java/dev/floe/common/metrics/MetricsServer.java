package dev.floe.common.metrics;

import dev.floe.common.Check;
import dev.floe.common.EventLoops;
import dev.floe.common.HostPort;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} (the Prometheus text format, 0.0.4) and {@code GET /healthz} over HTTP/1.1 on
 * the component's own event loops, so it adds no thread. Closing it stops listening and closes every
 * open connection.
 *
 * <p>A connection's requests are answered one at a time ({@link OneAnswerAtATime}), the next only once
 * the last answer is in the socket, and a connection with more than a few requests waiting is closed:
 * otherwise a client that pipelines thousands of {@code GET /metrics} in one packet and reads nothing
 * makes the event loop, shared with gRPC, scrape them all and queue every answer in memory.
 */
public final class MetricsServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MetricsServer.class.getName());
    /** What Prometheus reads as its text exposition format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Scrapers keep their connection between scrapes (Prometheus: every 15 s to 1 min by default). */
    static final int IDLE_SECONDS = 120;
    /** Requests carry no body; a larger one is refused with 413. */
    static final int MAX_REQUEST_BYTES = 16 * 1024;
    /**
     * Open connections at most: a scraper keeps one, and a few scrapers and health checks are plenty. Past it a
     * new connection is closed as soon as it is accepted, so a flood (a function can reach a loopback endpoint)
     * costs the component a socket for a moment, not its file descriptors.
     */
    static final int MAX_CONNECTIONS = 64;
    private static final long REFUSAL_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Channel server;
    private final ChannelGroup connections;
    private final HostPort address;

    private MetricsServer(Channel server, ChannelGroup connections, HostPort address) {
        this.server = server;
        this.connections = connections;
        this.address = address;
    }

    static MetricsServer start(HostPort address, EventLoopGroup loops, PrometheusMeterRegistry registry, Supplier<Health> health)
            throws IOException {
        Check.notNull("address", address);
        Check.notNull("health", health);
        // The group's own executor is one of the component's loops: GlobalEventExecutor would start a thread.
        ChannelGroup connections = new DefaultChannelGroup("floe-metrics", loops.next());
        AtomicInteger open = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_NANOS);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(EventLoops.serverChannelType())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            ch.close();
                            refused(refused, lastRefusalLog, ch);
                            return;
                        }
                        ch.closeFuture().addListener(closed -> open.decrementAndGet());
                        connections.add(ch);
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES), new OneAnswerAtATime(), new MetricsHandler(registry, health));
                    }
                });
        try {
            Channel channel = bootstrap.bind(new InetSocketAddress(address.host(), address.port())).sync().channel();
            int port = ((InetSocketAddress) channel.localAddress()).getPort();
            return new MetricsServer(channel, connections, new HostPort(address.host(), port));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the metrics endpoint on " + address, e);
        } catch (Exception e) {
            throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage()
                    + " (expected: a free port and an address of this machine; set them with --metrics-port and --metrics-host)", e);
        }
    }

    /** Logs refused connections at most once a minute, with their count, so a flood does not also flood the log. */
    private static void refused(AtomicInteger refused, AtomicLong lastLog, Channel channel) {
        refused.incrementAndGet();
        long last = lastLog.get();
        long now = System.nanoTime();
        if (now - last >= REFUSAL_LOG_NANOS && lastLog.compareAndSet(last, now)) {
            LOG.log(System.Logger.Level.WARNING, "metrics: " + MAX_CONNECTIONS + " connections open (the limit); closed "
                    + refused.getAndSet(0) + " new connection(s), the last from " + channel.remoteAddress());
        }
    }

    /** The bound address (the real port when asked for port 0). */
    public HostPort address() {
        return address;
    }

    public int port() {
        return address.port();
    }

    /** Where to scrape, e.g. {@code http://127.0.0.1:9100/metrics}. */
    public String url() {
        return "http://" + address + "/metrics";
    }

    /** Stops listening and closes every connection. Idempotent. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
