package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.Ip4;

/**
 * An IPv4 UDP socket that moves datagrams in batches ({@code recvmmsg}/{@code sendmmsg}), with
 * optional UDP GSO on send and GRO on receive, straight between the kernel and a
 * {@link DatagramBatch}. Made for packet loops: a call allocates nothing and costs one system
 * call for up to a batch of datagrams.
 *
 * <p>One thread may receive while another sends. {@link #close()} is idempotent and safe while a
 * thread waits in {@link #receive}: that call returns -1 within {@link #POLL_SLICE_MILLIS}, and
 * the descriptor is released only once no call is in flight.
 */
public final class UdpSocket extends SharedFd {

    /**
     * How often a waiting receive checks whether the socket was closed: an idle udp backend's
     * receiving loop wakes this often (once a second, not five times), and a close is noticed
     * within it.
     */
    static final int POLL_SLICE_MILLIS = 1000;

    private static final int EMSGSIZE = 90;

    private final int port;
    /** The operation names errors carry, made once: the packet loops receive and poll per batch. */
    private final String receiveOperation;
    private final String pollOperation;
    private boolean gro;
    // written by the sending thread only; volatile so that statistics readers see them
    private volatile long sendErrors;
    private volatile int lastSendErrno;

    private UdpSocket(int fd, int port) {
        super(fd, "udp :" + port);
        this.port = port;
        this.receiveOperation = "recvmmsg(udp :" + port + ")";
        this.pollOperation = "poll(udp :" + port + ")";
    }

    /**
     * A socket bound to {@code address}:{@code port} in the calling thread's network namespace
     * ({@code 0.0.0.0} for every address, port 0 for any free port).
     */
    public static UdpSocket bind(Ip4 address, int port) {
        Netlink.requireAvailable();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("UDP port must be 0-65535, got " + port);
        }
        int fd = LibC.udpSocket();
        try {
            LibC.bindInet(fd, address.value(), port, "bind(" + address + ":" + port + ")");
            return new UdpSocket(fd, LibC.localPort(fd));
        } catch (RuntimeException e) {
            LibC.close(fd, "close(udp)");
            throw e;
        }
    }

    /** The same, inside {@code ns}; the socket then works from any thread. */
    public static UdpSocket bind(NetNs ns, Ip4 address, int port) {
        return ns.call(() -> bind(address, port));
    }

    public int port() {
        return port;
    }

    /**
     * Sets both socket buffers to {@code bytes}, above the {@code net.core.[rw]mem_max} limits
     * when the process may ({@code SO_*BUFFORCE} needs CAP_NET_ADMIN), else as far as they allow.
     * Returns the receive buffer size the kernel reports (it doubles the request for overhead).
     */
    public int setBufferSizes(int bytes) {
        if (LibC.trySetsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, bytes) != 0) {
            LibC.setsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, bytes, "SO_RCVBUF");
        }
        if (LibC.trySetsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, bytes) != 0) {
            LibC.setsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, bytes, "SO_SNDBUF");
        }
        return receiveBufferSize();
    }

    public int receiveBufferSize() {
        return LibC.getsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, "SO_RCVBUF");
    }

    public int sendBufferSize() {
        return LibC.getsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, "SO_SNDBUF");
    }

    /**
     * Turns on UDP GRO (Linux 5.0+): the kernel may join datagrams of one sender into one slot,
     * reported by {@link DatagramBatch#segmentSize}. Returns false when the kernel cannot.
     */
    public boolean enableGro() {
        gro = LibC.trySetsockoptInt(fd, LibC.SOL_UDP, LibC.UDP_GRO, 1) == 0;
        return gro;
    }

    public boolean groEnabled() {
        return gro;
    }

    /**
     * Whether the kernel takes UDP GSO ({@code UDP_SEGMENT}, Linux 4.18+): probed by setting the
     * socket default to 0 (no segmentation), which changes nothing.
     */
    public boolean supportsGso() {
        return LibC.trySetsockoptInt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, 0) == 0;
    }

    /**
     * Receives up to {@code batch.size()} datagrams, each into its slot from {@code offset},
     * waiting up to {@code timeoutMillis} for the first. Returns how many arrived, 0 when none
     * did in time, -1 once the socket is closed.
     */
    public int receive(DatagramBatch batch, int offset, int timeoutMillis) {
        if (!enter()) {
            return -1;
        }
        try {
            int slots = batch.size();
            batch.prepareReceive(slots, offset);
            int n = LibC.recvmmsg(fd, batch.vectorAddress(0), slots, receiveOperation);
            if (n > 0) {
                return n;
            }
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return 0;
                }
                if (LibC.poll(fd, LibC.POLLIN, (int) Math.min(left, POLL_SLICE_MILLIS), pollOperation)) {
                    batch.prepareReceive(slots, offset);
                    n = LibC.recvmmsg(fd, batch.vectorAddress(0), slots, receiveOperation);
                    if (n > 0) {
                        return n;
                    }
                }
                if (isClosing()) {
                    return -1;
                }
            }
        } finally {
            leave();
        }
    }

    /**
     * Sends datagrams 0 to {@code count - 1} of the batch as set by {@link DatagramBatch#setDatagram}.
     * Waits while the send buffer is full; a datagram the kernel refuses (no route, too big,
     * filtered) is skipped and counted in {@link #sendErrors()}. Returns how many were sent.
     */
    public int send(DatagramBatch batch, int count) {
        if (!enter()) {
            throw new IllegalStateException("UDP socket :" + port + " is closed");
        }
        try {
            int sent = 0;
            int next = 0;
            while (next < count) {
                int n = LibC.sendmmsg(fd, batch.vectorAddress(next), count - next);
                if (n > 0) {
                    sent += n;
                    next += n;
                    continue;
                }
                int errno = -n;
                if (errno == LibC.EAGAIN) {
                    if (isClosing()) {
                        break;
                    }
                    LibC.poll(fd, LibC.POLLOUT, POLL_SLICE_MILLIS, pollOperation);
                    continue;
                }
                // this datagram cannot go (EMSGSIZE, ENETUNREACH, EPERM from a firewall ...): skip it
                sendErrors++;
                lastSendErrno = errno;
                next++;
            }
            return sent;
        } finally {
            leave();
        }
    }

    /** Datagrams the kernel refused to send since the socket was opened. */
    public long sendErrors() {
        return sendErrors;
    }

    /** The errno of the last refused datagram (e.g. 90 EMSGSIZE), 0 if none. */
    public int lastSendErrno() {
        return lastSendErrno;
    }

    /** Whether {@code errno} is EMSGSIZE: a datagram larger than the path allows. */
    public static boolean isMessageTooLong(int errno) {
        return errno == EMSGSIZE;
    }

    @Override
    public String toString() {
        return "udp socket :" + port;
    }
}
