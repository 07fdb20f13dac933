package io.javaoverlay.cni.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.files.UnixSocketFile;
import io.javaoverlay.cni.CniMain;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * Serves CNI calls on a Unix socket inside a long-running process (the agent), so that the
 * launcher's CNI path can hand a call to it with {@code socat} instead of starting a JVM. Each
 * call runs exactly what a plugin process runs ({@link CniMain#run}: the same
 * {@code Dispatcher}, {@code OverlayPlugin} and kernel datapath, fresh per call) with the
 * caller's environment and stdin, so both paths give the same results for the same input.
 *
 * <h2>Protocol (what {@code bin/javaoverlay} sends)</h2>
 * The client sends the plugin's stdin and shuts its side down; nothing else. The server takes
 * the rest from the kernel ({@link CniCall}): the caller's uid, gid and pid (SO_PEERCRED), its
 * network namespace and its CNI variables from {@code /proc/PID}. Answers are in
 * {@link Responses}.
 *
 * <h2>Trust</h2>
 * Root only, or root and one group ({@link SocketAccess}): the file mode keeps others from
 * connecting and the peer's credentials are checked again per call. A caller in another network
 * namespace than the agent's is not served (503): the bridge and veth would land in the wrong
 * host. A caller that goes away before its ADD is done gets it undone.
 *
 * <h2>Bounded</h2>
 * A thread per connection, at most {@link #MAX_CONNECTIONS} at once (more wait in the listen
 * backlog until one ends); a connection must deliver its stdin within
 * {@link CniCall#READ_DEADLINE}, so idle or trickling clients hold a thread only that long and
 * never keep other calls from being served.
 *
 * <h2>Why calls may run concurrently</h2>
 * Every call gets its own datapath (own netlink sockets, own namespace handles; namespace work
 * runs on fresh threads in the netlink package), IPAM allocation is serialised by the store's
 * lock, iptables calls take the xtables lock ({@code -w}), and ensuring the shared bridge
 * tolerates a concurrent creator, as it must for concurrent plugin processes anyway.
 */
public final class CniSocketServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CniSocketServer.class);

    /** Connections served at once: far above what a runtime runs in parallel, low enough to bound threads. */
    static final int MAX_CONNECTIONS = 64;

    private final Path path;
    /** The socket file this server bound: only that one is removed at close. */
    private final Object identity;
    private final AFUNIXServerSocket server;
    private final OptionalLong group;
    private final NamespaceId ownNetns;
    private final OverlayMetrics metrics;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final AtomicInteger calls = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    private CniSocketServer(Path path, Object identity, AFUNIXServerSocket server, OptionalLong group, NamespaceId ownNetns,
                            OverlayMetrics metrics) {
        this.metrics = metrics;
        this.identity = identity;
        this.path = path;
        this.server = server;
        this.group = group;
        this.ownNetns = ownNetns;
        this.acceptor = DaemonThreads.thread("cni-socket-accept", this::acceptLoop);
    }

    /** Root-only: {@link #start(Path, Optional, OverlayMetrics)} without a group. */
    public static CniSocketServer start(Path path, OverlayMetrics metrics) throws IOException {
        return start(path, Optional.empty(), metrics);
    }

    /**
     * Binds {@code path} (mode 0600, or 0660 owned by {@code group}; in a directory created 0700
     * when missing) and starts serving. A socket file nobody listens on (left by a killed agent)
     * is replaced; one that another process still answers on is not: that is a configuration
     * error to report. Each call is counted and timed on {@code metrics} (the agent's, which its
     * {@code /metrics} serves).
     */
    public static CniSocketServer start(Path path, Optional<String> group, OverlayMetrics metrics) throws IOException {
        if (metrics == null) {
            throw new IllegalArgumentException("the CNI socket needs the agent's metrics");
        }
        Path socket = path.toAbsolutePath();
        UnixSocketFile.prepare(socket, "--cni-socket (or --cni-socket= to serve none)");
        NamespaceId own = NamespaceId.ofNetwork("self");
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        OptionalLong gid;
        Object identity;
        try {
            server.bind(AFUNIXSocketAddress.of(socket.toFile()), MAX_CONNECTIONS);
            identity = UnixSocketFile.identity(socket);
            gid = new SocketAccess(group).applyTo(socket);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socket);
            throw e;
        }
        CniSocketServer s = new CniSocketServer(socket, identity, server, gid, own, metrics);
        s.acceptor.start();
        LOG.info("serving CNI calls on {} ({})", socket, gid.isPresent() ? "root and group " + group.get() : "root only");
        return s;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            slots.acquireUninterruptibly();
            AFUNIXSocket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                slots.release();
                if (!closed) {
                    LOG.error("CNI socket {}: accept failed, no longer serving CNI calls (the launcher falls back to running "
                            + "the plugin itself)", path, e);
                }
                return;
            }
            Thread t = DaemonThreads.thread("cni-call-" + calls.incrementAndGet(), () -> {
                try {
                    new CniCall(client, path, group, ownNetns, metrics).run();
                } finally {
                    slots.release();
                }
            });
            try {
                t.start();
            } catch (RuntimeException | OutOfMemoryError e) {
                slots.release();
                LOG.warn("CNI socket {}: cannot start a thread for a call ({}); closed, the launcher runs the plugin itself",
                        path, e.toString());
                closeQuietly(client);
            }
        }
    }

    private static void closeQuietly(AFUNIXSocket c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a connection we could not serve
        }
    }

    /** Stops accepting, lets calls in progress finish (they change the kernel), removes the socket file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing {}: {}", path, e.toString());
        }
        try {
            // every slot free again: no call runs any more
            if (!slots.tryAcquire(MAX_CONNECTIONS, 30, TimeUnit.SECONDS)) {
                LOG.warn("CNI calls still running 30s after shutdown began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        UnixSocketFile.removeIfOurs(path, identity);
    }
}
