package io.javaoverlay.core.files;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix socket path's life before bind and after close, for every socket javaoverlay serves (the
 * Docker plugin's, the agent's CNI socket): a socket file left by a process that was killed is
 * replaced, one that another process still serves is not, anything that is not a socket is never
 * deleted, and at close only the file this process bound is removed (a newer server may own the
 * path by then).
 */
public final class UnixSocketFile {

    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketFile.class);

    /** sun_path is 108 bytes with its terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private UnixSocketFile() {}

    /**
     * Makes {@code path} free to bind: creates its directory ({@code rwx------} when missing),
     * removes a stale socket. {@code option} names the flag that chose the path, for messages.
     */
    public static void prepare(Path path, String option) throws IOException {
        if (path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IOException("socket path " + path + " is longer than the " + MAX_PATH_BYTES
                    + " bytes a Unix socket address holds; choose a shorter " + option);
        }
        // made root-only when missing; when it exists it may be another program's (Docker's
        // /run/docker/plugins), and the socket's own mode keeps other users from connecting
        FileModes.missingPrivateDirectories(path.toAbsolutePath().getParent());
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) {
            throw new IOException(path + " exists and is not a socket; remove it or choose another " + option);
        }
        if (isServed(path)) {
            throw new IOException("another process is serving " + path
                    + " (another javaoverlay already running on this host?); stop it first or choose another " + option);
        }
        LOG.warn("replacing stale socket {} (left by a process that did not shut down cleanly)", path);
        Files.delete(path);
    }

    /** True when something accepts connections on the socket. */
    public static boolean isServed(Path path) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The file's identity (device + inode), to delete it later only if it is still ours. */
    public static Object identity(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** Deletes the socket file if it is still the one we bound (a newer plugin may own the path now). */
    public static void removeIfOurs(Path path, Object identity) {
        try {
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && identity != null && identity.equals(identity(path))) {
                Files.delete(path);
                LOG.info("removed socket {}", path);
            }
        } catch (IOException e) {
            LOG.warn("cannot remove socket {}: {}", path, e.toString());
        }
    }
}
