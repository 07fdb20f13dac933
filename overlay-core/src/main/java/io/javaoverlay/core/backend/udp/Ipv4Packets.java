package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;

/**
 * Reading and writing the few IPv4 header fields the udp backend needs, on buffers in
 * place (absolute gets and puts, no allocation). Offsets are from RFC 791.
 */
public final class Ipv4Packets {

    static final int MIN_HEADER = 20;
    private static final int OFF_TOTAL_LENGTH = 2;
    private static final int OFF_TTL = 8;
    private static final int OFF_PROTOCOL = 9;
    private static final int OFF_CHECKSUM = 10;
    private static final int OFF_SRC = 12;
    private static final int OFF_DST = 16;
    private static final int PROTO_ICMP = 1;
    private static final int ICMP_DEST_UNREACHABLE = 3;
    private static final int ICMP_NET_UNREACHABLE = 0;
    private static final int ICMP_HEADER = 8;
    /** RFC 792: the original header plus the first 64 bits of its data. */
    private static final int QUOTED_DATA = 8;

    private Ipv4Packets() {}

    /** True for a well-formed IPv4 packet of {@code length} bytes starting at {@code buf}'s position 0. */
    public static boolean isIpv4(ByteBuffer buf, int length) {
        if (length < MIN_HEADER || (buf.get(0) & 0xf0) != 0x40) {
            return false;
        }
        int ihl = headerLength(buf);
        return ihl >= MIN_HEADER && ihl <= length;
    }

    public static int headerLength(ByteBuffer buf) {
        return (buf.get(0) & 0x0f) * 4;
    }

    public static int source(ByteBuffer buf) {
        return buf.getInt(OFF_SRC);
    }

    public static int destination(ByteBuffer buf) {
        return buf.getInt(OFF_DST);
    }

    /**
     * Writes into {@code out} (from position 0) an ICMP "destination net unreachable" answering
     * the packet in {@code in}, sent from {@code from}; returns its length. {@code out} needs
     * 20 + 8 + 60 + 8 bytes at most.
     */
    public static int netUnreachable(ByteBuffer in, int inLength, int from, ByteBuffer out) {
        int quoted = Math.min(inLength, headerLength(in) + QUOTED_DATA);
        int total = MIN_HEADER + ICMP_HEADER + quoted;
        // IPv4 header
        out.put(0, (byte) 0x45);
        out.put(1, (byte) 0);
        out.putShort(OFF_TOTAL_LENGTH, (short) total);
        out.putInt(4, 0); // id, flags, fragment offset
        out.put(OFF_TTL, (byte) 64);
        out.put(OFF_PROTOCOL, (byte) PROTO_ICMP);
        out.putShort(OFF_CHECKSUM, (short) 0);
        out.putInt(OFF_SRC, from);
        out.putInt(OFF_DST, source(in));
        out.putShort(OFF_CHECKSUM, (short) checksum(out, 0, MIN_HEADER));
        // ICMP header: type, code, checksum, unused
        int icmp = MIN_HEADER;
        out.put(icmp, (byte) ICMP_DEST_UNREACHABLE);
        out.put(icmp + 1, (byte) ICMP_NET_UNREACHABLE);
        out.putShort(icmp + 2, (short) 0);
        out.putInt(icmp + 4, 0);
        for (int i = 0; i < quoted; i++) {
            out.put(icmp + ICMP_HEADER + i, in.get(i));
        }
        out.putShort(icmp + 2, (short) checksum(out, icmp, ICMP_HEADER + quoted));
        return total;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes from {@code offset}. */
    public static int checksum(ByteBuffer buf, int offset, int length) {
        long sum = 0;
        int i = offset;
        int end = offset + length;
        for (; i + 1 < end; i += 2) {
            sum += ((buf.get(i) & 0xff) << 8) | (buf.get(i + 1) & 0xff);
        }
        if (i < end) {
            sum += (buf.get(i) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
