package io.javaoverlay.docker.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP {@link PortRelay}: an accepting thread, and per client a connection to the target
 * with one thread copying each way. When one side stops sending, the other side's sending half
 * is shut (a half-close passes through, as {@code docker-proxy} passes it); when both are done
 * or either fails, both sockets close.
 */
final class TcpRelay extends SocketRelay {

    private static final Logger LOG = LoggerFactory.getLogger(TcpRelay.class);
    private static final int BUFFER = 64 * 1024;
    private final ServerSocket server;
    private final Semaphore slots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();

    private TcpRelay(ServerSocket server, InetSocketAddress target, Limits limits) {
        super((InetSocketAddress) server.getLocalSocketAddress(), target, limits);
        this.server = server;
        this.slots = new Semaphore(limits.connections());
    }

    static TcpRelay open(InetSocketAddress listen, InetSocketAddress target, Limits limits) throws IOException {
        ServerSocket server = bound(new ServerSocket(), s -> {
            s.setReuseAddress(true); // connections of an earlier relay in TIME_WAIT do not hold the port
            s.bind(listen, 128);
        });
        TcpRelay relay = new TcpRelay(server, target, limits);
        relay.start("tcp");
        return relay;
    }

    @Override
    public int active() {
        return limits.connections() - slots.availablePermits();
    }

    /** Accepts clients; one over the limits is closed at once. */
    @Override
    void listenLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("relay tcp {} -> {}: accept failed, relay stops ({})", PortRelay.text(listening), PortRelay.text(target),
                            e.toString());
                }
                return;
            }
            boolean slot = slots.tryAcquire();
            if (!slot || !limits.total().tryAcquire()) {
                if (slot) {
                    slots.release();
                }
                if (refused.getAndIncrement() % 100 == 0) {
                    LOG.warn("relay tcp {} -> {}: {}; closing a new connection from {} ({} refused so far)",
                            PortRelay.text(listening), PortRelay.text(target), slot ? "the relays' connections are at their limit in all"
                                    : limits.connections() + " connections open, the limit", client.getRemoteSocketAddress(),
                            refused.get());
                }
                closeQuietly(client);
                continue;
            }
            open.add(client);
            WORKERS.execute(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        Socket backend = new Socket();
        try {
            try {
                backend.connect(target, (int) limits.connectTimeout().toMillis());
            } catch (IOException e) {
                LOG.warn("relay tcp {} -> {}: cannot reach the container ({}); closing the client {}", PortRelay.text(listening),
                        PortRelay.text(target), e.getMessage(), client.getRemoteSocketAddress());
                return;
            }
            open.add(backend);
            if (closed) {
                return;
            }
            client.setKeepAlive(true);
            backend.setKeepAlive(true);
            LOG.debug("relay tcp {}: {} -> {}", PortRelay.text(listening), client.getRemoteSocketAddress(), PortRelay.text(target));
            java.util.concurrent.Future<?> back = WORKERS.submit(() -> copy(backend, client));
            copy(client, backend);
            back.get();
        } catch (IOException e) {
            LOG.debug("relay tcp {}: {}", PortRelay.text(listening), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.debug("relay tcp {}: {}", PortRelay.text(listening), e.getCause().toString());
        } finally {
            closeQuietly(client);
            closeQuietly(backend);
            open.remove(client);
            open.remove(backend);
            limits.total().release();
            slots.release();
        }
    }

    /** One direction; at its end the receiver's sending half is shut, and on an error both sockets close. */
    private static void copy(Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // a reset, or the relay closing: the other direction cannot go on either
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    @Override
    void closeSockets() {
        closeQuietly(server);
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            if (!(e instanceof SocketException)) {
                LOG.debug("closing {}: {}", c, e.toString());
            }
        }
    }
}
