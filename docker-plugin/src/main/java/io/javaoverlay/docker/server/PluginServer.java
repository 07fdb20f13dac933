package io.javaoverlay.docker.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.files.UnixSocketFile;

/**
 * Jetty serving the plugin protocol on a Unix socket.
 *
 * <p>The connector is Jetty's {@link UnixDomainServerConnector} on the JDK's Unix-domain
 * channels (Java 16+). The design named junixsocket; its Jetty connector lives in the separate
 * junixsocket-jetty artifact, which the package registry this project builds from does not
 * serve, and junixsocket-core alone would mean writing and maintaining a Jetty connector. The
 * JDK channels need no native library, which also keeps the managed plugin's rootfs small.
 *
 * <p>The socket must never be reachable with the umask's permissions, not even for a moment:
 * it is bound inside a fresh 0700 directory next to the final path, set to 0600, and only
 * then renamed into place, where dockerd finds it.
 */
public final class PluginServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PluginServer.class);

    /** A handful of threads: dockerd makes few calls, and they are serialized anyway. */
    private static final int MAX_THREADS = 8;
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final Server server;
    private final Path socket;
    private final Object socketIdentity;

    private PluginServer(Server server, Path socket, Object socketIdentity) {
        this.server = server;
        this.socket = socket;
        this.socketIdentity = socketIdentity;
    }

    /** Binds {@code socket} (mode 0600) and serves {@code handler} until {@link #close()}. */
    public static PluginServer start(Path socket, Handler handler, ObjectMapper json) throws IOException {
        Path target = socket.toAbsolutePath();
        UnixSocketFile.prepare(target, "--plugin-socket");
        Path staging = Files.createTempDirectory(target.getParent(), ".jo-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bound = staging.resolve("s");

        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("docker-plugin");
        threads.setDaemon(true);
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        UnixDomainServerConnector connector = new DockerUnixConnector(server, new HttpConnectionFactory(http));
        connector.setUnixDomainPath(bound);
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        server.addConnector(connector);
        server.setHandler(handler);
        server.setErrorHandler(new JsonErrorHandler(json));
        server.setStopAtShutdown(false);
        try {
            server.start();
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, target, StandardCopyOption.ATOMIC_MOVE);
            Object identity = UnixSocketFile.identity(target);
            LOG.info("serving the Docker plugin API on {}", target);
            return new PluginServer(server, target, identity);
        } catch (Exception e) {
            stopQuietly(server);
            throw new IOException("cannot serve the plugin API on " + target + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(bound);
            Files.deleteIfExists(staging);
        }
    }

    public Path socket() {
        return socket;
    }

    /** Stops serving and removes the socket file (if no newer plugin has taken the path). */
    @Override
    public void close() {
        stopQuietly(server);
        UnixSocketFile.removeIfOurs(socket, socketIdentity);
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the plugin server: {}", e.toString());
        }
    }
}
