package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;

/**
 * Reading and writing the few IPv4 header fields the udp backend needs, on buffers in
 * place (absolute gets and puts on big-endian buffers, no allocation). Offsets are from RFC 791;
 * {@code at} is where the packet starts in the buffer.
 */
public final class Ipv4Packets {

    static final int MIN_HEADER = 20;
    private static final int OFF_TOTAL_LENGTH = 2;
    private static final int OFF_FRAGMENT = 6;
    private static final int OFF_TTL = 8;
    private static final int OFF_PROTOCOL = 9;
    private static final int OFF_CHECKSUM = 10;
    private static final int OFF_SRC = 12;
    private static final int OFF_DST = 16;
    static final int PROTO_ICMP = 1;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    private static final int ICMP_DEST_UNREACHABLE = 3;
    private static final int ICMP_NET_UNREACHABLE = 0;
    private static final int ICMP_HEADER = 8;
    /** RFC 792: the original header plus the first 64 bits of its data. */
    private static final int QUOTED_DATA = 8;
    /** The largest ICMP error {@link #netUnreachable} writes: 20 + 8 + a 60-byte header + 8. */
    public static final int MAX_ICMP_ERROR = 96;

    private Ipv4Packets() {}

    /** True for a well-formed IPv4 packet of {@code length} bytes starting at {@code buf}'s position 0. */
    public static boolean isIpv4(ByteBuffer buf, int length) {
        return isIpv4(buf, 0, length);
    }

    /**
     * True when {@code length} bytes at {@code at} hold an IPv4 packet: version 4, a header that
     * fits, and a total length that is neither smaller than the header nor larger than the bytes.
     */
    public static boolean isIpv4(ByteBuffer buf, int at, int length) {
        if (length < MIN_HEADER || (buf.get(at) & 0xf0) != 0x40) {
            return false;
        }
        int ihl = headerLength(buf, at);
        int total = totalLength(buf, at);
        return ihl >= MIN_HEADER && ihl <= total && total <= length;
    }

    public static int headerLength(ByteBuffer buf) {
        return headerLength(buf, 0);
    }

    public static int headerLength(ByteBuffer buf, int at) {
        return (buf.get(at) & 0x0f) * 4;
    }

    public static int totalLength(ByteBuffer buf, int at) {
        return buf.getShort(at + OFF_TOTAL_LENGTH) & 0xffff;
    }

    public static int protocol(ByteBuffer buf, int at) {
        return buf.get(at + OFF_PROTOCOL) & 0xff;
    }

    public static int source(ByteBuffer buf) {
        return source(buf, 0);
    }

    public static int source(ByteBuffer buf, int at) {
        return buf.getInt(at + OFF_SRC);
    }

    public static int destination(ByteBuffer buf) {
        return destination(buf, 0);
    }

    public static int destination(ByteBuffer buf, int at) {
        return buf.getInt(at + OFF_DST);
    }

    /** True for a fragment other than the first (only the first carries the transport header). */
    public static boolean isLaterFragment(ByteBuffer buf, int at) {
        return (buf.getShort(at + OFF_FRAGMENT) & 0x1fff) != 0;
    }

    /**
     * Whether an undeliverable packet deserves an ICMP error (RFC 1122 3.2.2): never about an ICMP
     * error message (no error storms between two hosts), and only for the first fragment. An
     * echo request does get one, so ping says "Destination Net Unreachable". (flannel answers no
     * ICMP at all; that leaves ping waiting instead.)
     */
    public static boolean deservesIcmpError(ByteBuffer buf, int at, int length) {
        if (isLaterFragment(buf, at)) {
            return false;
        }
        if (protocol(buf, at) != PROTO_ICMP) {
            return true;
        }
        int ihl = headerLength(buf, at);
        if (length <= ihl) {
            return false;
        }
        int type = buf.get(at + ihl) & 0xff;
        // 3 destination unreachable, 4 source quench, 5 redirect, 11 time exceeded, 12 parameter problem
        return type != 3 && type != 4 && type != 5 && type != 11 && type != 12;
    }

    /**
     * Writes into {@code out} (from position 0) an ICMP "destination net unreachable" answering
     * the packet in {@code in}, sent from {@code from}; returns its length. {@code out} needs
     * {@link #MAX_ICMP_ERROR} bytes at most.
     */
    public static int netUnreachable(ByteBuffer in, int inLength, int from, ByteBuffer out) {
        return netUnreachable(in, 0, inLength, from, out, 0);
    }

    /** The same for a packet at {@code at}, written to {@code out} at {@code outAt}. */
    public static int netUnreachable(ByteBuffer in, int at, int inLength, int from, ByteBuffer out, int outAt) {
        int quoted = Math.min(inLength, headerLength(in, at) + QUOTED_DATA);
        int total = MIN_HEADER + ICMP_HEADER + quoted;
        // IPv4 header
        out.put(outAt, (byte) 0x45);
        out.put(outAt + 1, (byte) 0);
        out.putShort(outAt + OFF_TOTAL_LENGTH, (short) total);
        out.putInt(outAt + 4, 0); // id, flags, fragment offset
        out.put(outAt + OFF_TTL, (byte) 64);
        out.put(outAt + OFF_PROTOCOL, (byte) PROTO_ICMP);
        out.putShort(outAt + OFF_CHECKSUM, (short) 0);
        out.putInt(outAt + OFF_SRC, from);
        out.putInt(outAt + OFF_DST, source(in, at));
        out.putShort(outAt + OFF_CHECKSUM, (short) checksum(out, outAt, MIN_HEADER));
        // ICMP header: type, code, checksum, unused
        int icmp = outAt + MIN_HEADER;
        out.put(icmp, (byte) ICMP_DEST_UNREACHABLE);
        out.put(icmp + 1, (byte) ICMP_NET_UNREACHABLE);
        out.putShort(icmp + 2, (short) 0);
        out.putInt(icmp + 4, 0);
        for (int i = 0; i < quoted; i++) {
            out.put(icmp + ICMP_HEADER + i, in.get(at + i));
        }
        out.putShort(icmp + 2, (short) checksum(out, icmp, ICMP_HEADER + quoted));
        return total;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes from {@code offset}. */
    public static int checksum(ByteBuffer buf, int offset, int length) {
        return ~fold(sum(buf, offset, length, 0)) & 0xffff;
    }

    /**
     * Adds {@code length} bytes from {@code offset} to a running one's-complement sum, as
     * 16-bit big-endian words (an odd last byte is padded with zero). Reads 8 bytes at a time
     * and adds their two 32-bit halves: since 2^16 = 1 modulo 2^16 - 1, a 32-bit word counts as
     * the sum of its two 16-bit words once {@link #fold} has folded the carries back in. A long
     * cannot overflow: a 64 KiB packet adds at most 2^13 terms below 2^33.
     */
    public static long sum(ByteBuffer buf, int offset, int length, long initial) {
        long sum = initial;
        int i = offset;
        int end = offset + length;
        for (; i + 8 <= end; i += 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xffffffffL);
        }
        for (; i + 1 < end; i += 2) {
            sum += buf.getShort(i) & 0xffff;
        }
        if (i < end) {
            sum += (buf.get(i) & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a running sum to 16 bits (not yet complemented). */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }
}
