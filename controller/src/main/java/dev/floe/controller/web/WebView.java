package dev.floe.controller.web;

import com.google.gson.Gson;
import dev.floe.common.Check;
import dev.floe.common.ClusterToken;
import dev.floe.common.EventLoops;
import dev.floe.common.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The controller's web view: HTTP/1.1 on the controller's event loops (no thread of its own), a page whose
 * assets ship in the jar, and {@code GET /events}, server-sent events carrying the whole {@link FleetBoard}
 * as JSON whenever it changed (at most every {@value #PUSH_MS} ms, and every few seconds for the rates). A
 * watcher that does not read is skipped, not queued for: it gets the next state it can take.
 */
public final class WebView implements AutoCloseable {
    static final long PUSH_MS = 500;
    /** Rates decay while nothing happens: the state is sent again this often even unchanged. */
    static final long REFRESH_MS = 3_000;
    static final int MAX_CONNECTIONS = 64;

    private final Channel server;
    private final ChannelGroup connections;
    private final ChannelGroup watchers;
    private final ScheduledFuture<?> pushing;
    private final HostPort address;

    private WebView(Channel server, ChannelGroup connections, ChannelGroup watchers, ScheduledFuture<?> pushing, HostPort address) {
        this.server = server;
        this.connections = connections;
        this.watchers = watchers;
        this.pushing = pushing;
        this.address = address;
    }

    /**
     * Serves the view on {@code address}; the board is what the controller feeds. {@code tokens}: any of them
     * opens the view (the cluster's and the read-only web token).
     */
    public static WebView start(HostPort address, EventLoopGroup loops, FleetBoardFeed feed, List<ClusterToken> tokens) throws IOException {
        Check.notNull("address", address);
        FleetBoard board = feed.board;
        ChannelGroup connections = new DefaultChannelGroup("floe-web", loops.next());
        ChannelGroup watchers = new DefaultChannelGroup("floe-web-events", loops.next());
        Gson gson = new Gson();
        AtomicInteger open = new AtomicInteger();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(EventLoops.serverChannelType())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(closed -> open.decrementAndGet());
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(WebHandler.MAX_REQUEST_BYTES),
                                new WebHandler(tokens, () -> gson.toJson(board.json()), watchers));
                    }
                });
        Channel channel;
        try {
            channel = bootstrap.bind(new InetSocketAddress(address.host(), address.port())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the web view on " + address, e);
        } catch (Exception e) {
            throw new IOException("cannot serve the web view on " + address + ": " + e.getMessage()
                    + " (expected: a free port and an address of this machine; set them with --web-port and --web-host)", e);
        }
        long[] sent = {-1, 0};
        ScheduledFuture<?> pushing = loops.next().scheduleWithFixedDelay(() -> {
            long version = board.version();
            long now = System.nanoTime();
            if (watchers.isEmpty() || (version == sent[0] && now - sent[1] < TimeUnit.MILLISECONDS.toNanos(REFRESH_MS))) {
                return;
            }
            sent[0] = version;
            sent[1] = now;
            byte[] event = WebHandler.event(gson.toJson(board.json()));
            for (Channel watcher : watchers) {
                if (watcher.isWritable()) {
                    watcher.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(event)));
                }
            }
        }, PUSH_MS, PUSH_MS, TimeUnit.MILLISECONDS);
        int port = ((InetSocketAddress) channel.localAddress()).getPort();
        return new WebView(channel, connections, watchers, pushing, new HostPort(address.host(), port));
    }

    /** What feeds the view: subscribe it to the fleet view and to the invoker's meters before starting. */
    public static final class FleetBoardFeed {
        final FleetBoard board;

        public FleetBoardFeed(InstantSource clock) {
            this.board = new FleetBoard(clock);
        }

        public dev.floe.controller.registry.FleetSubscriber fleet() {
            return board;
        }

        public dev.floe.controller.invoke.InvokeMetrics.Listener invocations() {
            return board;
        }
    }

    public HostPort address() {
        return address;
    }

    /** Where a browser opens it, e.g. {@code http://127.0.0.1:7072/}. */
    public String url() {
        return "http://" + address + "/";
    }

    /** Stops listening and closes every connection. Idempotent. */
    @Override
    public void close() {
        pushing.cancel(false);
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        watchers.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
