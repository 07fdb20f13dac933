package io.javaoverlay.core.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.threads.DaemonThreads;

/**
 * GET and HEAD of fixed paths over HTTP/1.1, bounded in time and connections; see the package
 * notes for why it exists and how it bounds slow clients.
 */
public final class SmallHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SmallHttpServer.class);

    /** Pending connections the kernel queues before accept: probes come a few at a time. */
    private static final int BACKLOG = 128;
    /** How long a closing connection may keep sending before it is cut (a request body we never read). */
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int DRAIN_MAX_BYTES = 64 * 1024;
    /** The selector wakes at least this often, so that deadlines are checked even when nothing happens. */
    private static final long MAX_SELECT_MILLIS = 1000;
    private static final String ALLOWED = "GET, HEAD";

    private final HttpLimits limits;
    private final Map<String, HttpRoute> routes = new HashMap<>();
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Set<Connection> connections = new HashSet<>();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ThreadPoolExecutor worker;
    private final Thread loop;
    private final ByteBuffer drain = ByteBuffer.allocate(4096);
    private volatile boolean closed;

    private SmallHttpServer(InetSocketAddress address, HttpLimits limits, List<HttpRoute> routes, String name)
            throws IOException {
        this.limits = limits;
        for (HttpRoute r : routes) {
            if (this.routes.put(r.path(), r) != null) {
                throw new IllegalArgumentException("two routes for " + r.path());
            }
        }
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        try {
            server.bind(address, BACKLOG);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            server.close();
            selector.close();
            throw e;
        }
        this.worker = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), DaemonThreads.factory(name + "-handler"));
        worker.allowCoreThreadTimeOut(true);
        this.loop = DaemonThreads.thread(name, this::run);
    }

    /** Binds {@code address} (port 0: any free port) and serves {@code routes} until {@link #close()}. */
    public static SmallHttpServer start(InetSocketAddress address, HttpLimits limits, List<HttpRoute> routes, String name)
            throws IOException {
        SmallHttpServer s = new SmallHttpServer(address, limits, routes, name);
        s.loop.start();
        return s;
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.shutdownNow();
    }

    // --- the selector thread ---

    private void run() {
        try {
            while (!closed) {
                selector.select(this::ready, selectMillis());
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                expire(System.nanoTime());
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.error("HTTP server on port {} stopped: {}", port(), e.toString(), e);
            }
        } finally {
            List.copyOf(connections).forEach(this::close);
            try {
                server.close();
                selector.close();
            } catch (IOException e) {
                LOG.debug("closing the HTTP server: {}", e.toString());
            }
        }
    }

    private long selectMillis() {
        long now = System.nanoTime();
        long next = MAX_SELECT_MILLIS;
        for (Connection c : connections) {
            if (c.state != Connection.State.HANDLING) {
                next = Math.min(next, TimeUnit.NANOSECONDS.toMillis(Math.max(0, c.deadline - now)) + 1);
            }
        }
        return next;
    }

    private void ready(SelectionKey key) {
        if (key.isValid() && key.isAcceptable()) {
            acceptAll();
            return;
        }
        Connection c = (Connection) key.attachment();
        try {
            if (key.isValid() && key.isReadable()) {
                readable(c);
            } else if (key.isValid() && key.isWritable()) {
                write(c);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("HTTP connection closed: {}", e.toString());
            close(c);
        }
    }

    private void acceptAll() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                LOG.warn("HTTP server: accept failed: {}", e.toString());
                return;
            }
            if (ch == null) {
                return;
            }
            if (connections.size() >= limits.maxConnections() && !evictOldestWaiting()) {
                closeQuietly(ch);
                continue;
            }
            try {
                ch.configureBlocking(false);
                // a reply goes out in one write; no reason to hold its last segment back
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Connection c = new Connection(ch, ch.register(selector, SelectionKey.OP_READ));
                c.key.attach(c);
                c.await(Connection.State.READING, System.nanoTime(), limits.headTimeout().toNanos(), SelectionKey.OP_READ);
                connections.add(c);
            } catch (IOException e) {
                closeQuietly(ch);
            }
        }
    }

    /** Makes room: closes the connection that has waited longest without a whole request. */
    private boolean evictOldestWaiting() {
        Connection oldest = null;
        for (Connection c : connections) {
            if (c.waitingForRequest() && (oldest == null || c.since - oldest.since < 0)) {
                oldest = c;
            }
        }
        if (oldest == null) {
            return false;
        }
        LOG.debug("HTTP server: {} connections open, closing the one waiting longest", connections.size());
        close(oldest);
        return true;
    }

    private void readable(Connection c) throws IOException {
        if (c.state == Connection.State.DRAINING) {
            drain.clear();
            int n = c.channel.read(drain);
            c.inLength += Math.max(n, 0);
            if (n < 0 || c.inLength > DRAIN_MAX_BYTES) {
                close(c);
            }
            return;
        }
        int n = c.read(limits.maxHeadBytes());
        if (n < 0) {
            close(c);
            return;
        }
        if (n > 0 && c.state == Connection.State.IDLE) {
            c.await(Connection.State.READING, System.nanoTime(), limits.headTimeout().toNanos(), SelectionKey.OP_READ);
        }
        handleBuffered(c);
    }

    /** Answers the request whose head is buffered, if it is there whole. */
    private void handleBuffered(Connection c) {
        int end = HttpHead.end(c.in, c.searched, c.inLength);
        if (end < 0) {
            c.searched = Math.max(0, c.inLength - 2);
            if (c.inLength >= limits.maxHeadBytes()) {
                reply(c, null, HttpReply.text(431, "text/plain", "request head larger than " + limits.maxHeadBytes()
                        + " bytes\n"), true);
            }
            return;
        }
        HttpHead head;
        try {
            head = HttpHead.parse(c.in, end);
        } catch (HttpHead.Malformed e) {
            reply(c, null, HttpReply.text(e.status, "text/plain", e.getMessage() + "\n"), true);
            return;
        }
        c.consume(end);
        boolean close = !head.keepAlive();
        if (!head.method().equals("GET") && !head.method().equals("HEAD")) {
            reply(c, head, HttpReply.text(405, "text/plain", head.method() + " is not served here; use GET or HEAD\n"), close);
            return;
        }
        HttpRoute route = routes.get(head.path());
        if (route == null) {
            reply(c, head, HttpReply.text(404, "text/plain", "no such path; try /healthz\n"), close);
        } else if (route.instant()) {
            reply(c, head, handle(route, head), close);
        } else {
            c.await(Connection.State.HANDLING, System.nanoTime(), 0, 0);
            try {
                worker.execute(() -> {
                    HttpReply r = handle(route, head);
                    tasks.add(() -> {
                        if (c.open) {
                            reply(c, head, r, close);
                        }
                    });
                    selector.wakeup();
                });
            } catch (RejectedExecutionException e) {
                close(c); // shutting down
            }
        }
    }

    private HttpReply handle(HttpRoute route, HttpHead head) {
        try {
            return route.handler().handle(head);
        } catch (Exception | LinkageError e) {
            LOG.warn("HTTP {} {} failed", head.method(), route.path(), e);
            return HttpReply.text(500, "text/plain", "internal error; the agent's log has the details\n");
        }
    }

    private void reply(Connection c, HttpHead head, HttpReply r, boolean close) {
        boolean withBody = head == null || !head.method().equals("HEAD");
        StringBuilder h = new StringBuilder(128)
                .append("HTTP/1.1 ").append(r.status()).append(' ').append(HttpReply.reason(r.status())).append("\r\n")
                .append("Content-Type: ").append(r.contentType()).append("\r\n")
                .append("Content-Length: ").append(r.body().length).append("\r\n");
        if (r.status() == 405) {
            h.append("Allow: ").append(ALLOWED).append("\r\n");
        }
        if (close) {
            h.append("Connection: close\r\n");
        }
        h.append("\r\n");
        byte[] headBytes = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + (withBody ? r.body().length : 0));
        out.put(headBytes);
        if (withBody) {
            out.put(r.body());
        }
        c.out = out.flip();
        c.closeAfterWrite = close;
        c.await(Connection.State.WRITING, System.nanoTime(), limits.writeTimeout().toNanos(), SelectionKey.OP_WRITE);
        try {
            write(c);
        } catch (IOException e) {
            close(c);
        }
    }

    private void write(Connection c) throws IOException {
        c.channel.write(c.out);
        if (c.out.hasRemaining()) {
            return; // OP_WRITE is set: the rest when the client takes it
        }
        c.out = null;
        long now = System.nanoTime();
        if (c.closeAfterWrite) {
            // a lingering close: a reset (close with unread bytes) could destroy the reply in flight
            c.channel.shutdownOutput();
            c.inLength = 0;
            c.await(Connection.State.DRAINING, now, DRAIN_NANOS, SelectionKey.OP_READ);
        } else if (c.inLength > 0) {
            c.await(Connection.State.READING, now, limits.headTimeout().toNanos(), SelectionKey.OP_READ);
            handleBuffered(c); // the client sent its next request already
        } else {
            c.await(Connection.State.IDLE, now, limits.idleTimeout().toNanos(), SelectionKey.OP_READ);
        }
    }

    private void expire(long now) {
        List<Connection> late = new ArrayList<>();
        for (Connection c : connections) {
            if (c.state != Connection.State.HANDLING && now - c.deadline >= 0) {
                late.add(c);
            }
        }
        for (Connection c : late) {
            LOG.debug("HTTP connection {} too long, closed", c.state);
            close(c);
        }
    }

    private void close(Connection c) {
        connections.remove(c);
        c.close();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
