package dev.floe.common;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * Netty event loops on epoll where the native transport loads, else NIO. Floe's gRPC servers,
 * gRPC clients and the Runtime API server share them, so one process runs one set of I/O threads.
 */
public final class EventLoops {
    private static final boolean EPOLL = Epoll.isAvailable();

    private EventLoops() {}

    /** A group of {@code threads} loops (0: two per core), threads named {@code prefix-N}. */
    public static EventLoopGroup group(String prefix, int threads) {
        ThreadFactory factory = Thread.ofPlatform().name(prefix + "-", 0).daemon(true).factory();
        IoHandlerFactory io = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, factory, io);
    }

    public static Class<? extends ServerChannel> serverChannelType() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> channelType() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static String transport() {
        return EPOLL ? "epoll" : "nio";
    }
}
