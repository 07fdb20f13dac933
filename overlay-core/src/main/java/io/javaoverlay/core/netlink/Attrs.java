package io.javaoverlay.core.netlink;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The {@code rtattr}s of one message region, indexed by type for random access. Offsets point
 * into the receive buffer, so an {@code Attrs} is only valid while that buffer holds the
 * message: decode into records before reading the next datagram.
 */
final class Attrs {

    private static final int TYPE_MASK = 0x3fff; // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER

    private final ByteBuffer buf;
    private final int[] offset;
    private final int[] length;

    private Attrs(ByteBuffer buf, int maxType) {
        this.buf = buf;
        this.offset = new int[maxType + 1];
        this.length = new int[maxType + 1];
        java.util.Arrays.fill(offset, -1);
    }

    /** Parses attributes in {@code [start, end)}; types above {@code maxType} are skipped. */
    static Attrs parse(ByteBuffer buf, int start, int end, int maxType) {
        Attrs a = new Attrs(buf, maxType);
        int pos = start;
        while (pos + 4 <= end) {
            int len = buf.getShort(pos) & 0xffff;
            int type = buf.getShort(pos + 2) & TYPE_MASK;
            if (len < 4 || pos + len > end) {
                break; // truncated attribute: the kernel never sends one, so stop rather than misread
            }
            if (type <= maxType) {
                a.offset[type] = pos + 4;
                a.length[type] = len - 4;
            }
            pos += (len + 3) & ~3;
        }
        return a;
    }

    boolean has(int type) {
        return type < offset.length && offset[type] >= 0;
    }

    int length(int type) {
        return has(type) ? length[type] : -1;
    }

    int u8(int type, int absent) {
        return has(type) ? buf.get(offset[type]) & 0xff : absent;
    }

    int u16(int type, int absent) {
        return has(type) ? buf.getShort(offset[type]) & 0xffff : absent;
    }

    int u16Be(int type, int absent) {
        return has(type) ? ((buf.get(offset[type]) & 0xff) << 8) | (buf.get(offset[type] + 1) & 0xff) : absent;
    }

    int u32(int type, int absent) {
        return has(type) ? buf.getInt(offset[type]) : absent;
    }

    byte[] bytes(int type) {
        if (!has(type)) {
            return null;
        }
        byte[] b = new byte[length[type]];
        buf.get(offset[type], b);
        return b;
    }

    /** A string attribute, without the trailing NUL(s). */
    String string(int type) {
        if (!has(type)) {
            return null;
        }
        int start = offset[type];
        int len = length[type];
        while (len > 0 && buf.get(start + len - 1) == 0) {
            len--;
        }
        byte[] b = new byte[len];
        buf.get(start, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The attributes nested in {@code type}, or null when it is absent. */
    Attrs nested(int type, int maxType) {
        return has(type) ? parse(buf, offset[type], offset[type] + length[type], maxType) : null;
    }
}
