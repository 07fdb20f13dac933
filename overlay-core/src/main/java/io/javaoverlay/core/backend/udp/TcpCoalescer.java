package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.javaoverlay.core.netlink.TunDevice;

/**
 * GRO for the TUN device: consecutive TCP segments of one flow, as they arrive in a UDP GRO
 * train, are joined into one packet of up to 64 KiB and written with a {@code virtio_net_hdr}
 * that marks it for segmentation ({@code GSO_TCPV4}, checksum left partial). The kernel then
 * carries one large packet through routing, the bridge and the container's TCP stack instead of
 * ~45 small ones: the receive side's counterpart of {@link TcpSegments}.
 *
 * <p>Segments are joined only when the kernel's own GRO would join them: same addresses, ports,
 * TOS, TTL, don't-fragment bit, acknowledgement, window and TCP options; no IP options; only
 * the ACK flag, PSH allowed on the last; each sequence number right after the previous
 * segment's data; every segment but the last exactly as long as the first. Anything else is
 * written on its own, after what was joined before it, so the order of a flow is kept.
 *
 * <p>Not thread-safe: the inbound loop's own. Allocates nothing per packet.
 */
final class TcpCoalescer {

    /** Where joined packets go: the TUN device's {@link TunDevice#tryWrite}. */
    @FunctionalInterface
    interface Sink {
        /** Writes {@code length} bytes from {@code offset}; returns them, or minus the errno. */
        int write(ByteBuffer src, int offset, int length);
    }

    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private static final int VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;
    private static final int MAX_PACKET = 65535;
    private static final int HDR = TunDevice.VNET_HDR_LEN;

    private final ByteBuffer vnet;
    private final ByteBuffer out;
    private int length;
    private int headers;
    private int mss;
    private int segments;
    private int nextSeq;
    private boolean closed = true;

    TcpCoalescer() {
        ByteBuffer mem = ByteBuffer.allocateDirect(HDR + MAX_PACKET);
        this.vnet = mem.duplicate().order(ByteOrder.nativeOrder());
        this.out = mem.duplicate().order(ByteOrder.BIG_ENDIAN);
    }

    /** Whether the packet may be joined with others: TCP with data, no IP options, not a fragment, flags ACK or ACK|PSH. */
    static boolean isCandidate(ByteBuffer b, int at, int length) {
        if (Ipv4Packets.protocol(b, at) != Ipv4Packets.PROTO_TCP || Ipv4Packets.headerLength(b, at) != 20) {
            return false;
        }
        if ((b.getShort(at + 6) & 0x3fff) != 0) { // MF or a fragment offset
            return false;
        }
        if (length < 40) {
            return false;
        }
        int flags = b.get(at + 33) & 0xff;
        return (flags == TCP_ACK || flags == (TCP_ACK | TCP_PSH)) && length > TcpSegments.headersLength(b, at);
    }

    /** Whether nothing is waiting to be written. */
    boolean isEmpty() {
        return segments == 0;
    }

    /**
     * Adds a candidate packet: joined to what is waiting when it continues it, else (the caller
     * having flushed) the start of a new packet. Returns false when the waiting packet must be
     * flushed first: call {@link #flush}, then add again.
     */
    boolean add(ByteBuffer b, int at, int length) {
        int h = TcpSegments.headersLength(b, at);
        int payload = length - h;
        if (segments == 0) {
            out.put(HDR, b, at, length);
            this.length = length;
            headers = h;
            mss = payload;
            segments = 1;
            nextSeq = b.getInt(at + 24) + payload;
            closed = (b.get(at + 33) & TCP_PSH) != 0;
            return true;
        }
        if (closed || !continues(b, at, h, payload)) {
            return false;
        }
        out.put(HDR + this.length, b, at + h, payload);
        this.length += payload;
        segments++;
        nextSeq += payload;
        int flags = b.get(at + 33) & 0xff;
        if ((flags & TCP_PSH) != 0) {
            out.put(HDR + 33, (byte) (out.get(HDR + 33) | TCP_PSH));
            closed = true;
        }
        if (payload < mss || this.length + mss > MAX_PACKET) {
            closed = true;
        }
        return true;
    }

    private boolean continues(ByteBuffer b, int at, int h, int payload) {
        int o = HDR;
        return h == headers && payload <= mss && length + payload <= MAX_PACKET
                && b.getInt(at + 24) == nextSeq
                && b.get(at + 1) == out.get(o + 1)                                   // TOS (ECN included)
                && (b.get(at + 6) & 0x40) == (out.get(o + 6) & 0x40)                 // DF
                && b.get(at + 8) == out.get(o + 8)                                   // TTL
                && b.getLong(at + 12) == out.getLong(o + 12)                         // addresses
                && b.getInt(at + 20) == out.getInt(o + 20)                           // ports
                && b.getInt(at + 28) == out.getInt(o + 28)                           // acknowledgement
                && b.get(at + 32) == out.get(o + 32)                                 // data offset
                && b.getShort(at + 34) == out.getShort(o + 34)                       // window
                && b.getShort(at + 38) == out.getShort(o + 38)                       // urgent pointer
                && sameOptions(b, at, h);
    }

    private boolean sameOptions(ByteBuffer b, int at, int h) {
        for (int i = 40; i < h; i += 4) {
            if (b.getInt(at + i) != out.getInt(HDR + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes what is waiting into the TUN device: a single segment as the finished packet it
     * is, several as one GSO packet. Returns the number of segments written (0 if nothing was
     * waiting), or minus the errno when the device refused it.
     */
    int flushTo(Sink tun) {
        if (segments == 0) {
            return 0;
        }
        int n = segments;
        segments = 0;
        closed = true;
        if (n == 1) {
            vnet.put(0, (byte) 0).put(1, (byte) 0).putLong(2, 0L);
        } else {
            int ihl = 20;
            out.putShort(HDR + 2, (short) length);
            out.putShort(HDR + 10, (short) 0);
            out.putShort(HDR + 10, (short) Ipv4Packets.checksum(out, HDR, ihl));
            // partial checksum: the pseudo-header sum, not complemented; the kernel adds the rest per segment
            int tcpLength = length - ihl;
            out.putShort(HDR + ihl + 16, (short) Ipv4Packets.fold(TcpSegments.pseudoHeaderSum(out, HDR, tcpLength)));
            vnet.put(0, (byte) VIRTIO_NET_HDR_F_NEEDS_CSUM);
            vnet.put(1, (byte) VIRTIO_NET_HDR_GSO_TCPV4);
            vnet.putShort(2, (short) headers);
            vnet.putShort(4, (short) mss);
            vnet.putShort(6, (short) ihl);
            vnet.putShort(8, (short) 16);
        }
        int r = tun.write(out, 0, HDR + length);
        return r < 0 ? r : n;
    }
}
