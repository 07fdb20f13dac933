package io.javaoverlay.core.netlink;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Unix-domain datagram sockets, which the JDK lacks (its Unix-domain channels are stream-only):
 * what systemd's notification protocol ({@code NOTIFY_SOCKET}, {@code sd_notify(3)}) needs.
 *
 * <p>An address is a filesystem path, or an abstract-namespace name written with a leading
 * {@code @} (as systemd sets it: {@code @/org/freedesktop/systemd1/notify/...}), which the
 * kernel sees with a leading NUL byte and no terminator.
 */
public final class UnixDatagram extends SharedFd {

    private static final int MAX_PATH = LibC.SOCKADDR_UN_SIZE - 2 - 1;

    private final String address;

    private UnixDatagram(int fd, String address) {
        super(fd, "unix datagram");
        this.address = address;
    }

    /** Sends one datagram to {@code address} from an unbound socket, as {@code sd_notify} does. */
    public static void send(String address, byte[] message) {
        Netlink.requireAvailable();
        int fd = LibC.unixDatagramSocket();
        try (Memory addr = new Memory(LibC.SOCKADDR_UN_SIZE)) {
            int len = sockaddr(address, addr);
            LibC.sendTo(fd, message, addr, len, "sendto(" + address + ")");
        } finally {
            LibC.close(fd, "close(unix datagram)");
        }
    }

    /** A socket bound to {@code path} (which must not exist yet) that receives datagrams. */
    public static UnixDatagram bind(Path path) {
        Netlink.requireAvailable();
        String address = path.toString();
        int fd = LibC.unixDatagramSocket();
        try (Memory addr = new Memory(LibC.SOCKADDR_UN_SIZE)) {
            LibC.bind(fd, addr, sockaddr(address, addr), "bind(" + address + ")");
            return new UnixDatagram(fd, address);
        } catch (RuntimeException e) {
            LibC.close(fd, "close(unix datagram)");
            throw e;
        }
    }

    /** The next datagram, or empty when none arrives within {@code timeout}. */
    public Optional<byte[]> receive(Duration timeout) {
        if (isClosing()) {
            throw new IllegalStateException("unix datagram socket " + address + " is closed");
        }
        if (!LibC.poll(fd, LibC.POLLIN, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()), "poll(" + address + ")")) {
            return Optional.empty();
        }
        try (Memory buf = new Memory(65536)) {
            int n = LibC.recv(fd, Pointer.nativeValue(buf), 65536, 0, "recv(" + address + ")");
            return Optional.of(buf.getByteArray(0, n));
        }
    }

    /** Fills {@code addr} with a {@code struct sockaddr_un} for {@code address}; returns its length. */
    static int sockaddr(String address, Memory addr) {
        boolean isAbstract = address.startsWith("@");
        byte[] path = (isAbstract ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        if (address.isEmpty() || path.length > MAX_PATH) {
            throw new IllegalArgumentException("not a usable unix socket address (1-" + MAX_PATH + " bytes): \"" + address + "\"");
        }
        addr.clear();
        addr.setShort(0, (short) LibC.AF_UNIX);
        if (isAbstract) {
            addr.setByte(2, (byte) 0);
            addr.write(3, path, 0, path.length);
            return 2 + 1 + path.length; // abstract names are length-delimited, not NUL-terminated
        }
        addr.write(2, path, 0, path.length);
        return 2 + path.length + 1;
    }

    @Override
    public String toString() {
        return "unix datagram socket " + address + (isClosing() ? " (closed)" : "");
    }
}
