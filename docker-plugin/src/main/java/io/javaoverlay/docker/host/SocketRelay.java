package io.javaoverlay.docker.host;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the TCP and UDP relays share: the two addresses, the limits, the closed flag, the one
 * thread that reads the listening socket (and that {@link #close} waits for), and the pool of
 * threads that carry connections and flows.
 */
abstract sealed class SocketRelay implements PortRelay permits TcpRelay, UdpRelay {

    private static final Logger LOG = LoggerFactory.getLogger(SocketRelay.class);
    /**
     * The threads that carry connections and UDP flows, for every relay: kept a minute after use,
     * so a new connection does not pay for a new thread. How many run at once is bounded by the
     * relays' limits ({@link PortRelay.Limits#total}), not here.
     */
    static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "relay worker");
        t.setDaemon(true);
        return t;
    });

    final InetSocketAddress listening;
    final InetSocketAddress target;
    final Limits limits;
    volatile boolean closed;
    /** The thread of {@link #listenLoop}, which close() waits for: only when it has left is the port free for the next bind. */
    private Thread loop;

    SocketRelay(InetSocketAddress listening, InetSocketAddress target, Limits limits) {
        this.listening = listening;
        this.target = target;
        this.limits = limits;
    }

    /** Binding a listening socket; a failed bind leaves the socket to {@link #bound} to close. */
    @FunctionalInterface
    interface Bind<S> {
        void bind(S socket) throws IOException;
    }

    /** {@code socket} after {@code bind}; closed, and the failure passed on, when the bind fails (a taken port). */
    static <S extends Closeable> S bound(S socket, Bind<S> bind) throws IOException {
        try {
            bind.bind(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    /** Reads the listening socket until the relay closes or the socket fails. */
    abstract void listenLoop();

    /** Closes the listening socket and every connection or flow; {@link #close} then waits for the loop. */
    abstract void closeSockets();

    /** Starts {@link #listenLoop} on a daemon thread named for the protocol and the listening address. */
    final void start(String protocol) {
        loop = new Thread(this::listenLoop, "relay " + protocol + " " + PortRelay.text(listening));
        loop.setDaemon(true);
        loop.start();
    }

    @Override
    public final InetSocketAddress listening() {
        return listening;
    }

    @Override
    public final InetSocketAddress target() {
        return target;
    }

    @Override
    public final void close() {
        closed = true;
        closeSockets();
        awaitEnd(loop);
    }

    /**
     * The JDK closes a socket another thread is blocked on only when that thread has left the
     * call: waits for it, so the port can be bound again the moment close() returns.
     */
    private static void awaitEnd(Thread loop) {
        if (loop == null || loop == Thread.currentThread()) {
            return;
        }
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop.isAlive()) {
            LOG.warn("{} did not stop within 5 s; its port may stay taken a little longer", loop.getName());
        }
    }
}
