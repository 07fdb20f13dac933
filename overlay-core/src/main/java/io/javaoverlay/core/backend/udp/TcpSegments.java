package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;

/**
 * The work a NIC does for TSO and checksum offload, done in Java for the TUN device: with
 * {@code IFF_VNET_HDR} and TUNSETOFFLOAD the kernel hands the udp backend TCP packets of up to
 * 64 KiB (one {@code read} instead of ~45) and leaves their checksums to finish. The wire format
 * stays flannel's, one complete IPv4 packet per datagram, so each super-packet is cut into
 * MTU-sized segments here, each with its own IPv4 and TCP header and correct checksums, laid
 * out back to back for one UDP GSO send.
 *
 * <p>All methods work in place on big-endian buffers at absolute offsets and allocate nothing.
 */
final class TcpSegments {

    static final int TCP_FIN = 0x01;
    static final int TCP_PSH = 0x08;
    static final int TCP_CWR = 0x80;

    private TcpSegments() {}

    /** Length of the IPv4 plus TCP headers of the packet at {@code at}. */
    static int headersLength(ByteBuffer b, int at) {
        int ihl = Ipv4Packets.headerLength(b, at);
        return ihl + ((b.get(at + ihl + 12) & 0xf0) >>> 2);
    }

    /**
     * Finishes a partial checksum (virtio {@code NEEDS_CSUM}): the field at
     * {@code csumStart + csumOffset} holds the pseudo-header sum; the checksum covers everything
     * from {@code csumStart} to the end of the packet.
     */
    static void completeChecksum(ByteBuffer b, int at, int length, int csumStart, int csumOffset) {
        int field = at + csumStart + csumOffset;
        long sum = Ipv4Packets.sum(b, at + csumStart, length - csumStart, 0);
        int folded = ~Ipv4Packets.fold(sum) & 0xffff;
        b.putShort(field, (short) folded);
    }

    /** How many segments of {@code mss} payload bytes the TCP packet at {@code at} makes. */
    static int count(ByteBuffer b, int at, int length, int mss) {
        int payload = length - headersLength(b, at);
        return payload <= 0 ? 1 : (payload + mss - 1) / mss;
    }

    /**
     * Writes segment {@code k} of the TCP packet {@code in[at, at+length)} to {@code out} at
     * {@code outAt}: the packet's headers with the total length, IP id, sequence number and
     * flags of that segment (FIN and PSH only on the last, CWR only on the first), then its
     * share of the payload, and both checksums computed. Returns the segment's length.
     */
    static int writeSegment(ByteBuffer in, int at, int length, int mss, int k, ByteBuffer out, int outAt) {
        int ihl = Ipv4Packets.headerLength(in, at);
        int headers = headersLength(in, at);
        int payload = length - headers;
        int offset = k * mss;
        int size = Math.min(mss, payload - offset);
        boolean last = offset + size >= payload;
        int total = headers + size;

        out.put(outAt, in, at, headers);
        out.put(outAt + headers, in, at + headers + offset, size);

        // IPv4: length, a distinct id per segment, header checksum
        out.putShort(outAt + 2, (short) total);
        out.putShort(outAt + 4, (short) ((in.getShort(at + 4) & 0xffff) + k));
        out.putShort(outAt + 10, (short) 0);
        out.putShort(outAt + 10, (short) Ipv4Packets.checksum(out, outAt, ihl));

        // TCP: sequence number, flags, checksum over the pseudo-header, header and payload
        int tcp = outAt + ihl;
        out.putInt(tcp + 4, in.getInt(at + ihl + 4) + offset);
        int flags = in.get(at + ihl + 13) & 0xff;
        if (!last) {
            flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (k > 0) {
            flags &= ~TCP_CWR;
        }
        out.put(tcp + 13, (byte) flags);
        out.putShort(tcp + 16, (short) 0);
        int tcpLength = total - ihl;
        long sum = pseudoHeaderSum(out, outAt, tcpLength);
        sum = Ipv4Packets.sum(out, tcp, tcpLength, sum);
        out.putShort(tcp + 16, (short) (~Ipv4Packets.fold(sum) & 0xffff));
        return total;
    }

    /** The one's-complement sum of the IPv4 pseudo-header of a TCP segment of {@code tcpLength} bytes. */
    static long pseudoHeaderSum(ByteBuffer b, int at, int tcpLength) {
        long sum = (b.getInt(at + 12) & 0xffffffffL) + (b.getInt(at + 16) & 0xffffffffL);
        return sum + Ipv4Packets.PROTO_TCP + tcpLength;
    }
}
