package io.javaoverlay.core.netlink;

import com.sun.jna.Memory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * A TUN device ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI}): layer-3 packets in and
 * out of the kernel, one packet per read or write. The device lives as long as this object
 * (it is not made persistent): {@link #close()} removes it.
 *
 * <p>Reads and writes go straight between the descriptor and a direct {@link ByteBuffer}, and
 * allocate nothing in steady state. One thread may read while another writes. {@code close}
 * is idempotent and safe while another thread is blocked in {@link #read}: that read returns
 * -1 within {@link #POLL_SLICE_MILLIS}, and the descriptor is released only after every
 * in-flight call has left, so a reused descriptor number is never touched.
 */
public final class TunDevice extends SharedFd {

    /**
     * How often a blocked read checks whether the device was closed: the packet loops of an idle
     * udp backend wake this often (once a second each, not five times), and a close is noticed
     * within it.
     */
    static final int POLL_SLICE_MILLIS = 1000;

    private static final long TUNSETIFF = 0x400454caL; // _IOW('T', 202, int)
    private static final long TUNSETOFFLOAD = 0x400454d0L; // _IOW('T', 208, unsigned int)
    private static final int IFF_TUN = 0x0001;
    private static final int IFF_NO_PI = 0x1000;
    private static final int IFF_MULTI_QUEUE = 0x0100;
    private static final int IFF_VNET_HDR = 0x4000;
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    /** Flags passed through to TUNSETIFF. */
    public enum Option {
        /** {@code IFF_MULTI_QUEUE}: open the same name again for more queues (one per reader thread). */
        MULTI_QUEUE,
        /** {@code IFF_VNET_HDR}: each packet starts with a {@code virtio_net_hdr}. */
        VNET_HDR,
        /**
         * {@code O_NONBLOCK}: for packet loops that drain the device with {@link #readNow} and
         * wait with {@link #awaitReadable}; {@link #read} still blocks (it polls first).
         */
        NON_BLOCKING
    }

    /** {@code struct virtio_net_hdr} without the mergeable-buffers field: what IFF_VNET_HDR prepends. */
    public static final int VNET_HDR_LEN = 10;

    /** TUNSETOFFLOAD flags: what the kernel may hand us unfinished (with IFF_VNET_HDR). */
    public static final int OFFLOAD_CSUM = 0x01;
    public static final int OFFLOAD_TSO4 = 0x02;
    public static final int OFFLOAD_TSO6 = 0x04;
    public static final int OFFLOAD_TSO_ECN = 0x08;

    private record CachedAddress(ByteBuffer buffer, long address) {}

    private final String name;
    /** The operation names errors carry, made once: the packet loops call read and poll per packet. */
    private final String pollOperation;
    private final String readOperation;
    private final String writeOperation;
    private final boolean vnetHeader;
    /** iovec[2] (header, packet) for {@link #tryWritePacket}, and a zeroed virtio_net_hdr: writer thread only. */
    private final ByteBuffer writeVector;
    private final long writeVectorAddress;
    private volatile CachedAddress readCache = new CachedAddress(null, 0);
    private volatile CachedAddress writeCache = new CachedAddress(null, 0);

    private TunDevice(int fd, String name, boolean vnetHeader) {
        super(fd, "tun " + name);
        this.name = name;
        this.pollOperation = "poll(tun " + name + ")";
        this.readOperation = "read(tun " + name + ")";
        this.writeOperation = "write(tun " + name + ")";
        this.vnetHeader = vnetHeader;
        this.writeVector = ByteBuffer.allocateDirect(48).order(java.nio.ByteOrder.nativeOrder());
        this.writeVectorAddress = LibC.address(writeVector);
        writeVector.putLong(0, writeVectorAddress + 32); // iov[0]: the all-zero header at +32
        writeVector.putLong(8, VNET_HDR_LEN);
    }

    /**
     * Creates (or, with {@link Option#MULTI_QUEUE}, attaches another queue to) the TUN device
     * {@code name} in the calling thread's namespace. A name with {@code %d} lets the kernel
     * number it ({@code tun%d}); {@link #name()} tells the result.
     */
    public static TunDevice open(String name, Option... options) {
        Netlink.requireAvailable();
        if (!name.contains("%")) {
            NewLink.checkName(name);
        }
        Set<Option> opts = options.length == 0 ? Set.of() : Set.of(options);
        int flags = IFF_TUN | IFF_NO_PI;
        if (opts.contains(Option.MULTI_QUEUE)) {
            flags |= IFF_MULTI_QUEUE;
        }
        if (opts.contains(Option.VNET_HDR)) {
            flags |= IFF_VNET_HDR;
        }
        int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | (opts.contains(Option.NON_BLOCKING) ? LibC.O_NONBLOCK : 0),
                "open TUN device");
        try (Memory ifr = new Memory(IFREQ_SIZE)) {
            ifr.clear();
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ifr.write(0, n, 0, n.length);
            ifr.setShort(IFNAMSIZ, (short) flags);
            LibC.ioctl(fd, TUNSETIFF, ifr, "ioctl(TUNSETIFF) for \"" + name + "\"");
            return new TunDevice(fd, ifr.getString(0, StandardCharsets.UTF_8.name()), opts.contains(Option.VNET_HDR));
        } catch (RuntimeException e) {
            LibC.close(fd, "close(tun)");
            throw e;
        }
    }

    /** Creates the TUN device inside {@code ns}; reads and writes then work from any thread. */
    public static TunDevice open(NetNs ns, String name, Option... options) {
        return ns.call(() -> open(name, options));
    }

    /** The device's name, as the kernel assigned it. */
    public String name() {
        return name;
    }

    /**
     * Reads one packet into {@code dst} at its position, blocking until one arrives; advances
     * the position by the packet length. A packet longer than {@code dst.remaining()} is
     * truncated. Returns the length, or -1 once the device is closed.
     */
    public int read(ByteBuffer dst) {
        if (!enter()) {
            return -1;
        }
        try {
            while (!LibC.poll(fd, LibC.POLLIN, POLL_SLICE_MILLIS, pollOperation)) {
                if (isClosing()) {
                    return -1;
                }
            }
            long base = address(dst, true);
            int n = LibC.read(fd, base + dst.position(), dst.remaining(), readOperation);
            dst.position(dst.position() + n);
            return n;
        } finally {
            leave();
        }
    }

    /**
     * Writes one packet: the bytes from {@code src}'s position to its limit; advances the
     * position. Returns the length written.
     */
    public int write(ByteBuffer src) {
        if (!enter()) {
            throw new IllegalStateException("TUN device " + name + " is closed");
        }
        try {
            long base = address(src, false);
            int n = LibC.write(fd, base + src.position(), src.remaining(), writeOperation);
            src.position(src.position() + n);
            return n;
        } finally {
            leave();
        }
    }

    /** Whether packets carry a {@code virtio_net_hdr} ({@link Option#VNET_HDR}). */
    public boolean hasVnetHeader() {
        return vnetHeader;
    }

    /**
     * Tells the kernel which unfinished packets we accept ({@code TUNSETOFFLOAD}, with
     * {@link Option#VNET_HDR}): {@link #OFFLOAD_CSUM} lets it hand over packets whose transport
     * checksum is still to be computed, {@link #OFFLOAD_TSO4} TCP segments up to 64 KiB that we
     * must cut to the MTU ourselves. The kernel then stops segmenting and checksumming for us.
     */
    public void setOffload(int flags) {
        if (!enter()) {
            throw new IllegalStateException("TUN device " + name + " is closed");
        }
        try {
            LibC.ioctlValue(fd, TUNSETOFFLOAD, flags & 0xffffffffL, "ioctl(TUNSETOFFLOAD) on " + name);
        } finally {
            leave();
        }
    }

    /**
     * Reads one packet if one is waiting, without blocking (needs {@link Option#NON_BLOCKING}):
     * into {@code dst} from its position, which advances. Returns the length, 0 when none is
     * waiting, -1 once the device is closed.
     */
    public int readNow(ByteBuffer dst) {
        if (!enter()) {
            return -1;
        }
        try {
            long base = address(dst, true);
            int n = LibC.readNonBlocking(fd, base + dst.position(), dst.remaining(), readOperation);
            dst.position(dst.position() + n);
            return n;
        } finally {
            leave();
        }
    }

    /**
     * Reads one packet if one is waiting, without blocking (needs {@link Option#NON_BLOCKING}),
     * straight into a {@link DatagramBatch} slot from {@code offset}. Returns the length, 0 when
     * none is waiting, -1 once the device is closed.
     */
    public int readNow(DatagramBatch batch, int slot, int offset) {
        if (!enter()) {
            return -1;
        }
        try {
            return LibC.readNonBlocking(fd, batch.slotAddress(slot) + offset, batch.slotCapacity() - offset,
                    readOperation);
        } finally {
            leave();
        }
    }

    /** Waits up to {@code timeoutMillis} for a packet to read; false on timeout or once closed. */
    public boolean awaitReadable(int timeoutMillis) {
        if (!enter()) {
            return false;
        }
        try {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0 || isClosing()) {
                    return false;
                }
                if (LibC.poll(fd, LibC.POLLIN, (int) Math.min(left, POLL_SLICE_MILLIS), pollOperation)) {
                    return true;
                }
            }
        } finally {
            leave();
        }
    }

    /**
     * Writes one packet of {@code length} bytes at {@code offset} in a {@link DatagramBatch}
     * slot, without copying it. With {@link Option#VNET_HDR} an all-zero header (a finished
     * packet) goes in front. Returns the packet length, or minus the errno when the kernel
     * refused it (the packet loop counts, it does not throw).
     */
    public int tryWritePacket(DatagramBatch batch, int slot, int offset, int length) {
        if (!enter()) {
            return -LibC.EBADF;
        }
        try {
            long data = batch.slotAddress(slot) + offset;
            if (!vnetHeader) {
                return (int) LibC.tryWrite(fd, data, length);
            }
            writeVector.putLong(16, data);
            writeVector.putLong(24, length);
            long n = LibC.tryWritev(fd, writeVectorAddress, 2);
            return n < 0 ? (int) n : (int) n - VNET_HDR_LEN;
        } finally {
            leave();
        }
    }

    /**
     * Writes {@code length} bytes from {@code offset} of a direct buffer as they are (with
     * {@link Option#VNET_HDR} they must start with the header). Returns the bytes written, or
     * minus the errno when the kernel refused them.
     */
    public int tryWrite(ByteBuffer src, int offset, int length) {
        if (!enter()) {
            return -LibC.EBADF;
        }
        try {
            return (int) LibC.tryWrite(fd, address(src, false) + offset, length);
        } finally {
            leave();
        }
    }

    private long address(ByteBuffer buffer, boolean forRead) {
        CachedAddress cached = forRead ? readCache : writeCache;
        if (cached.buffer == buffer) {
            return cached.address;
        }
        cached = new CachedAddress(buffer, LibC.address(buffer));
        if (forRead) {
            readCache = cached;
        } else {
            writeCache = cached;
        }
        return cached.address;
    }

    @Override
    public String toString() {
        return "tun " + name;
    }
}
