package io.javaoverlay.core.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable batch of UDP datagrams for {@link UdpSocket#receive} and {@link UdpSocket#send}:
 * the kernel's {@code struct mmsghdr} array, the iovecs, addresses, control messages and the
 * packet bytes, all in one direct buffer allocated once. Nothing is allocated per datagram.
 *
 * <p>Each slot has {@link #slotCapacity()} bytes, seen through {@link #slot(int)} (big-endian, as
 * packet headers are, position 0; use absolute gets and puts). A datagram is a range of its slot:
 * {@link #setDatagram} names the range to send and where to; after a receive, {@link #offset},
 * {@link #length} and {@link #sourceIp} say what arrived. With UDP GSO a slot to send may hold
 * several datagrams of {@code segmentSize} bytes back to back (the last may be shorter); with
 * UDP GRO a received slot may hold several that arrived from one sender, {@link #segmentSize}
 * apart.
 *
 * <p>Not thread-safe: one batch per thread.
 */
public final class DatagramBatch {

    // struct mmsghdr on LP64: struct msghdr (56 bytes) + unsigned int msg_len, padded to 64
    private static final int MMSGHDR = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;
    private static final int IOVEC = 16;
    private static final int SOCKADDR_IN = 16;
    /** One cmsg with a small payload: CMSG_SPACE(4) is 24; room for one more in case the kernel adds any. */
    private static final int CONTROL = 48;
    private static final int CMSG_HEADER = 16;
    /** CMSG_LEN(sizeof(uint16_t)) and CMSG_SPACE(sizeof(uint16_t)) for UDP_SEGMENT. */
    private static final int CMSG_LEN_U16 = CMSG_HEADER + 2;
    private static final int CMSG_SPACE_U16 = CMSG_HEADER + 8;

    private final int slots;
    private final int slotCapacity;
    private final int stride;
    private final ByteBuffer mem;
    private final long base;
    private final int iovAt;
    private final int addrAt;
    private final int controlAt;
    private final int dataAt;
    private final ByteBuffer[] views;
    private final int[] offsets;

    private DatagramBatch(int slots, int slotCapacity) {
        this.slots = slots;
        this.slotCapacity = slotCapacity;
        this.stride = (slotCapacity + 63) & ~63;
        this.iovAt = slots * MMSGHDR;
        this.addrAt = iovAt + slots * IOVEC;
        this.controlAt = addrAt + slots * SOCKADDR_IN;
        this.dataAt = (controlAt + slots * CONTROL + 63) & ~63;
        this.mem = ByteBuffer.allocateDirect(dataAt + slots * stride + 64).order(ByteOrder.nativeOrder());
        this.base = LibC.address(mem);
        this.views = new ByteBuffer[slots];
        this.offsets = new int[slots];
        for (int i = 0; i < slots; i++) {
            int hdr = i * MMSGHDR;
            mem.putLong(hdr + MSG_NAME, base + addrAt + (long) i * SOCKADDR_IN);
            mem.putLong(hdr + MSG_IOV, base + iovAt + (long) i * IOVEC);
            mem.putLong(hdr + MSG_IOVLEN, 1);
            views[i] = mem.slice(dataAt + i * stride, slotCapacity).order(ByteOrder.BIG_ENDIAN);
        }
    }

    /**
     * @param slots        datagrams per batch (1-1024; recvmmsg/sendmmsg take at most UIO_MAXIOV = 1024)
     * @param slotCapacity bytes per slot: the largest datagram, or the largest GSO/GRO train (64 KiB)
     */
    public static DatagramBatch allocate(int slots, int slotCapacity) {
        if (slots < 1 || slots > 1024) {
            throw new IllegalArgumentException("a batch holds 1-1024 datagrams, not " + slots);
        }
        if (slotCapacity < 1 || slotCapacity > 1 << 20) {
            throw new IllegalArgumentException("slot capacity must be 1 byte to 1 MiB, not " + slotCapacity);
        }
        return new DatagramBatch(slots, slotCapacity);
    }

    public int size() {
        return slots;
    }

    public int slotCapacity() {
        return slotCapacity;
    }

    /** Slot {@code i}'s bytes: a big-endian view, position 0, capacity {@link #slotCapacity()}. */
    public ByteBuffer slot(int i) {
        return views[i];
    }

    /**
     * Names datagram {@code i} for {@link UdpSocket#send}: {@code length} bytes from {@code offset}
     * in its slot, to {@code ip}:{@code port}. {@code segmentSize} above 0 asks for UDP GSO: the
     * kernel cuts the range into datagrams of that many bytes (the last may be shorter).
     */
    public void setDatagram(int i, int offset, int length, int ip, int port, int segmentSize) {
        if (offset < 0 || length < 0 || offset + length > slotCapacity) {
            throw new IndexOutOfBoundsException("datagram " + offset + "+" + length + " outside a slot of " + slotCapacity);
        }
        offsets[i] = offset;
        setIov(i, offset, length);
        int a = addrAt + i * SOCKADDR_IN;
        mem.putShort(a, (short) LibC.AF_INET);
        mem.putShort(a + 2, Short.reverseBytes((short) port));
        mem.putInt(a + 4, Integer.reverseBytes(ip));
        mem.putLong(a + 8, 0);
        int hdr = i * MMSGHDR;
        mem.putInt(hdr + MSG_NAMELEN, SOCKADDR_IN);
        if (segmentSize > 0 && segmentSize < length) {
            int c = controlAt + i * CONTROL;
            mem.putLong(c, CMSG_LEN_U16);
            mem.putInt(c + 8, LibC.SOL_UDP);
            mem.putInt(c + 12, LibC.UDP_SEGMENT);
            mem.putShort(c + 16, (short) segmentSize);
            mem.putLong(hdr + MSG_CONTROL, base + c);
            mem.putLong(hdr + MSG_CONTROLLEN, CMSG_SPACE_U16);
        } else {
            mem.putLong(hdr + MSG_CONTROL, 0);
            mem.putLong(hdr + MSG_CONTROLLEN, 0);
        }
        mem.putInt(hdr + MSG_FLAGS, 0);
    }

    /** Readies the first {@code count} slots to receive, each into its slot from {@code offset}. */
    void prepareReceive(int count, int offset) {
        for (int i = 0; i < count; i++) {
            offsets[i] = offset;
            setIov(i, offset, slotCapacity - offset);
            int hdr = i * MMSGHDR;
            mem.putInt(hdr + MSG_NAMELEN, SOCKADDR_IN);
            mem.putLong(hdr + MSG_CONTROL, base + controlAt + (long) i * CONTROL);
            mem.putLong(hdr + MSG_CONTROLLEN, CONTROL);
            mem.putInt(hdr + MSG_FLAGS, 0);
        }
    }

    private void setIov(int i, int offset, int length) {
        int iov = iovAt + i * IOVEC;
        mem.putLong(iov, base + dataAt + (long) i * stride + offset);
        mem.putLong(iov + 8, length);
    }

    /** Where datagram {@code i} starts in its slot. */
    public int offset(int i) {
        return offsets[i];
    }

    /** Bytes received into slot {@code i} (several datagrams with GRO). */
    public int length(int i) {
        return mem.getInt(i * MMSGHDR + MSG_LEN);
    }

    /** The sender's IPv4 address of a received datagram, in {@code Ip4.value()} form. */
    public int sourceIp(int i) {
        return Integer.reverseBytes(mem.getInt(addrAt + i * SOCKADDR_IN + 4));
    }

    public int sourcePort(int i) {
        return Short.reverseBytes(mem.getShort(addrAt + i * SOCKADDR_IN + 2)) & 0xffff;
    }

    /** Whether the kernel cut datagram {@code i} short because the slot was too small (MSG_TRUNC). */
    public boolean truncated(int i) {
        return (mem.getInt(i * MMSGHDR + MSG_FLAGS) & LibC.MSG_TRUNC) != 0;
    }

    /**
     * For a received slot: the size of each datagram when UDP GRO joined several (the last may be
     * shorter), or 0 when the slot holds one datagram.
     */
    public int segmentSize(int i) {
        int hdr = i * MMSGHDR;
        long controlLength = mem.getLong(hdr + MSG_CONTROLLEN);
        int c = controlAt + i * CONTROL;
        int end = c + (int) Math.min(controlLength, CONTROL);
        while (c + CMSG_HEADER <= end) {
            long len = mem.getLong(c);
            if (len < CMSG_HEADER) {
                break;
            }
            if (mem.getInt(c + 8) == LibC.SOL_UDP && mem.getInt(c + 12) == LibC.UDP_GRO && len >= CMSG_HEADER + 2) {
                return len >= CMSG_HEADER + 4 ? mem.getInt(c + 16) : mem.getShort(c + 16) & 0xffff;
            }
            c += (int) ((len + 7) & ~7L);
        }
        return 0;
    }

    /** The native address of slot {@code i}'s first byte, for writes straight from the slot. */
    long slotAddress(int i) {
        return base + dataAt + (long) i * stride;
    }

    long vectorAddress(int first) {
        return base + (long) first * MMSGHDR;
    }
}
