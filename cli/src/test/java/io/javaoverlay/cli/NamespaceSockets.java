package io.javaoverlay.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/**
 * Sockets that live in a test namespace while the test JVM drives them: a socket belongs to the
 * namespace of the thread that created it, so it is opened on a thread switched into the
 * namespace ({@link NetNs#call}) and then used from any thread. Lets a test move exact bytes
 * between containers and check them, without a netcat that may quit early.
 */
public final class NamespaceSockets {

    private NamespaceSockets() {}

    /**
     * Connects over TCP from {@code from} to a socat listener in {@code server} ({@code listen},
     * socat's address, e.g. {@code TCP-LISTEN:<port>,bind=<ip>}) that answers with the address it
     * saw the connection come from; {@code connect} is socat's address of the listener for the
     * client. Returns that address as socat writes it.
     */
    static String peerAddressSeenBy(TestNamespace server, String name, String listen, TestNamespace from, String connect) {
        TestProcess listener = server.start(name, "socat", listen + ",reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR");
        try {
            String[] seen = new String[1];
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var r = from.exec(Duration.ofSeconds(5), "socat", "-T", "3", "-", connect + ",connect-timeout=2");
                seen[0] = r.stdout().strip();
                return r.ok() && !seen[0].isEmpty();
            });
            return seen[0];
        } finally {
            listener.stop();
        }
    }

    static ServerSocketChannel listen(TestNamespace ns, Ip4 address, int port) {
        return listen(ns, address.toInetAddress(), port);
    }

    /** The same for an address of either family. */
    public static ServerSocketChannel listen(TestNamespace ns, java.net.InetAddress address, int port) {
        return listen(ns.netnsPath(), address, port);
    }

    /**
     * The same in the network namespace at {@code netns}: {@code /run/netns/NAME}, or
     * {@code /proc/PID/ns/net} of a process inside it (a Docker container's).
     */
    public static ServerSocketChannel listen(Path netns, java.net.InetAddress address, int port) {
        try (NetNs handle = NetNs.open(netns)) {
            return handle.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(address, port)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address.getHostAddress() + " port " + port + " in " + netns, e);
        }
    }

    static SocketChannel openTcp(TestNamespace ns) {
        return openTcp(ns.netnsPath());
    }

    private static SocketChannel openTcp(Path netns) {
        try (NetNs handle = NetNs.open(netns)) {
            return handle.call(SocketChannel::open);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP socket in {@code ns} bound to {@code address} (any port). */
    static DatagramChannel openUdp(TestNamespace ns, Ip4 address) {
        try (NetNs handle = ns.open()) {
            return handle.call(() -> DatagramChannel.open().bind(new InetSocketAddress(address.toInetAddress(), 0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends {@code bytes} pseudo-random bytes over TCP from {@code from} to {@code to}:{@code port}
     * (where {@code server} listens) and returns the SHA-256 of what was sent and of what arrived.
     */
    static String[] transfer(TestNamespace from, ServerSocketChannel server, Ip4 to, int port, int bytes, Duration timeout)
            throws Exception {
        return transfer(from, server, to.toInetAddress(), port, bytes, timeout);
    }

    /** The same to an address of either family. */
    public static String[] transfer(TestNamespace from, ServerSocketChannel server, java.net.InetAddress to, int port, int bytes,
                             Duration timeout) throws Exception {
        return transfer(from.netnsPath(), server, to, port, bytes, timeout);
    }

    /** The same from the network namespace at {@code fromNetns} (see {@link #listen(Path, java.net.InetAddress, int)}). */
    public static String[] transfer(Path fromNetns, ServerSocketChannel server, java.net.InetAddress to, int port, int bytes,
                             Duration timeout) throws Exception {
        CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
            try (SocketChannel in = server.accept()) {
                MessageDigest md = sha256();
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                while (in.read(buf) >= 0) {
                    buf.flip();
                    md.update(buf);
                    buf.clear();
                }
                return HexFormat.of().formatHex(md.digest());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        MessageDigest sent = sha256();
        try (SocketChannel out = openTcp(fromNetns)) {
            out.connect(new InetSocketAddress(to, port));
            Random random = new Random(bytes);
            byte[] chunk = new byte[64 * 1024];
            int left = bytes;
            while (left > 0) {
                random.nextBytes(chunk);
                int n = Math.min(left, chunk.length);
                sent.update(chunk, 0, n);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                left -= n;
            }
            out.shutdownOutput();
        }
        return new String[] {HexFormat.of().formatHex(sent.digest()), received.get(timeout.toMillis(), TimeUnit.MILLISECONDS)};
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
