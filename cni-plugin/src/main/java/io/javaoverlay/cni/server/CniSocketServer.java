package io.javaoverlay.cni.server;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.cni.CniMain;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Serves CNI calls on a Unix socket inside a long-running process (the agent), so that the
 * launcher's CNI path can hand a call to it through {@code curl --unix-socket} instead of
 * starting a JVM. Each call runs exactly what a plugin process runs ({@link CniMain#run}: the
 * same {@code Dispatcher}, {@code OverlayPlugin} and kernel datapath, fresh per call) with the
 * request's environment and stdin, so both paths give the same results for the same config.
 *
 * <h2>Protocol (what {@code bin/javaoverlay} sends)</h2>
 * {@code POST /cni} with the CNI variables as {@code CNI-*} headers, the caller's
 * {@code readlink /proc/self/ns/net} as {@code JO-Caller-Netns}, stdin as the body. Answers:
 * <ul>
 *   <li>200 with the plugin's stdout as the body when it exited 0 (a result, or nothing for
 *       DEL), 422 with its error result as the body when it exited 1 (the exit status in the
 *       status code, so the client needs no header parsing);</li>
 *   <li>503 when this process must not serve the call: the caller is in another network
 *       namespace (the bridge and veth would land in the wrong host) or did not say which. The
 *       launcher then runs the plugin itself, so a socket shared between namespaces (as on a
 *       test machine) never gives wrong results;</li>
 *   <li>400 for anything else than such a request.</li>
 * </ul>
 *
 * <h2>Why this is safe to run concurrently</h2>
 * Every call gets its own datapath (own netlink sockets, own namespace handles; namespace work
 * runs on fresh threads in the netlink package), IPAM allocation is serialised by the store's
 * lock (file lock plus in-process lock keyed by the directory), iptables calls take the xtables
 * lock ({@code -w}), and ensuring the shared bridge tolerates a concurrent creator, as it must
 * for concurrent plugin processes anyway.
 */
public final class CniSocketServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CniSocketServer.class);

    /** Concurrent calls served at once; more wait in the queue (a runtime rarely runs more in parallel). */
    private static final int WORKERS = 8;

    private final Path path;
    private final ServerSocketChannel server;
    private final String ownNetns;
    private final ExecutorService workers;
    private final Thread acceptor;
    private volatile boolean closed;

    private CniSocketServer(Path path, ServerSocketChannel server, String ownNetns) {
        this.path = path;
        this.server = server;
        this.ownNetns = ownNetns;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "cni-socket-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
        this.acceptor = new Thread(this::acceptLoop, "cni-socket-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path} (mode 0600, in a directory created 0700 when missing) and starts
     * serving. A socket file nobody listens on (left by a killed agent) is replaced; one that
     * another process still answers on is not: that is a configuration error to report.
     */
    public static CniSocketServer start(Path path) throws IOException {
        Path socket = path.toAbsolutePath();
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException(socket + " is already served by another process (another agent on this host?); "
                        + "give this agent another --cni-socket, or --cni-socket= to serve none");
            }
            Files.delete(socket);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            // the CNI plugin sets up any container's network: root's callers only
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        CniSocketServer s = new CniSocketServer(socket, server, ownNetns());
        s.acceptor.start();
        LOG.info("serving CNI calls on {}", socket);
        return s;
    }

    /** This process's network namespace as {@code readlink /proc/self/ns/net} prints it. */
    static String ownNetns() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    }

    public Path path() {
        return path;
    }

    private static boolean answers(Path socket) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("CNI socket {}: accept failed, no longer serving CNI calls (the launcher falls back to running "
                            + "the plugin itself)", path, e);
                }
                return;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RuntimeException e) {
                closeQuietly(client);
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            InputStream in = Channels.newInputStream(client);
            OutputStream out = Channels.newOutputStream(client);
            CniRequest request;
            try {
                request = CniRequest.read(in);
            } catch (CniRequest.BadRequest e) {
                respond(out, 400, "Bad Request", Map.of(), (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            handle(request, out);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("CNI socket {}: a client went away: {}", path, e.toString());
        } catch (RuntimeException | Error e) {
            // the Dispatcher maps the plugin's failures to error results; this is outside it (a bug).
            // The connection closes unanswered, and the launcher runs the plugin itself.
            LOG.error("CNI socket {}: serving a call failed", path, e);
        }
    }

    private void handle(CniRequest request, OutputStream out) throws IOException {
        if (!request.method().equals("POST") || !request.target().equals("/cni")) {
            respond(out, 400, "Bad Request", Map.of(), ("only POST /cni is served here\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!request.callerNetns().equals(ownNetns)) {
            String why = request.callerNetns().isEmpty() ? "the caller did not say which network namespace it is in"
                    : "the caller is in network namespace " + request.callerNetns() + ", this agent in " + ownNetns;
            LOG.warn("CNI socket {}: not serving {} for {}: {}; the caller runs the plugin itself", path,
                    request.env().getOrDefault("CNI_COMMAND", "?"), request.env().getOrDefault("CNI_CONTAINERID", "?"), why);
            respond(out, 503, "Service Unavailable", Map.of(), (why + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        String command = request.env().getOrDefault("CNI_COMMAND", "?");
        OverlayMetrics.Operation op = OverlayMetrics.operation("cni", command);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream(1024);
        int exit = CniMain.run(request.env(), new ByteArrayInputStream(request.body()), stdout);
        if (exit == 0) {
            op.ok();
        } else {
            op.failed();
        }
        long ms = (System.nanoTime() - op.startNanos()) / 1_000_000;
        // one line per pod operation, as a runtime's plugin process would leave in its log
        LOG.info("CNI {} {} {}: {} ({} ms)", command,
                request.env().getOrDefault("CNI_CONTAINERID", ""), request.env().getOrDefault("CNI_IFNAME", ""),
                exit == 0 ? "ok" : "error " + errorCode(stdout), ms);
        if (exit == 0) {
            respond(out, 200, "OK", Map.of(), stdout.toByteArray());
        } else {
            respond(out, 422, "Unprocessable Entity", Map.of(), stdout.toByteArray());
        }
    }

    /** The error result's code, for the log line only. */
    private static Object errorCode(ByteArrayOutputStream stdout) {
        try {
            return JsonTree.parse(stdout.toByteArray()) instanceof Map<?, ?> m ? m.get("code") : "?";
        } catch (JsonTree.MalformedException e) {
            return "?";
        }
    }

    private static void respond(OutputStream out, int status, String reason, Map<String, String> headers, byte[] body)
            throws IOException {
        StringBuilder head = new StringBuilder(128).append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static void closeQuietly(SocketChannel c) {
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
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("CNI calls still running 30s after shutdown began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", path, e.toString());
        }
    }
}
