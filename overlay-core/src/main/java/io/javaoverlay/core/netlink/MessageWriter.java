package io.javaoverlay.core.netlink;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Encodes one netlink request into a reusable buffer: the 16-byte {@code nlmsghdr}, the
 * family header ({@code ifinfomsg}, {@code rtmsg}, ...) written field by field, then
 * {@code rtattr}s, nested ones included. Everything is in host byte order except where the
 * kernel wants network order (addresses as bytes, {@link #attrU16Be}).
 *
 * <p>Nothing is allocated per request: callers write straight into the socket's buffer.
 */
final class MessageWriter {

    static final int HEADER_LEN = 16;
    static final int NLA_F_NESTED = 0x8000;

    private final ByteBuffer buf;

    MessageWriter(ByteBuffer buf) {
        this.buf = buf.order(ByteOrder.nativeOrder());
    }

    static MessageWriter allocate(int capacity) {
        return new MessageWriter(ByteBuffer.allocateDirect(capacity));
    }

    ByteBuffer buffer() {
        return buf;
    }

    /** Starts a message; the length is filled in by {@link #finish}, the sequence by {@link #sequence}. */
    MessageWriter begin(int type, int flags) {
        buf.clear();
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(0).putInt(0);
        return this;
    }

    int type() {
        return buf.getShort(4) & 0xffff;
    }

    int flags() {
        return buf.getShort(6) & 0xffff;
    }

    void sequence(int seq) {
        buf.putInt(8, seq);
    }

    int length() {
        return buf.position();
    }

    /** Sets {@code nlmsg_len}; returns it. */
    int finish() {
        int len = buf.position();
        buf.putInt(0, len);
        return len;
    }

    // --- family header fields ---

    MessageWriter u8(int v) {
        buf.put((byte) v);
        return this;
    }

    MessageWriter u16(int v) {
        buf.putShort((short) v);
        return this;
    }

    MessageWriter u32(int v) {
        buf.putInt(v);
        return this;
    }

    /** {@code struct ifinfomsg}: family, pad, type, index, flags, change. */
    MessageWriter ifinfomsg(int family, int index, int flags, int change) {
        return u8(family).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    /** {@code struct ifaddrmsg}: family, prefixlen, flags, scope, index. */
    MessageWriter ifaddrmsg(int family, int prefixLength, int flags, int scope, int index) {
        return u8(family).u8(prefixLength).u8(flags).u8(scope).u32(index);
    }

    /** {@code struct rtmsg}: family, dst_len, src_len, tos, table, protocol, scope, type, flags. */
    MessageWriter rtmsg(int family, int dstLen, int table, int protocol, int scope, int type, int flags) {
        return u8(family).u8(dstLen).u8(0).u8(0).u8(table).u8(protocol).u8(scope).u8(type).u32(flags);
    }

    /** {@code struct ndmsg}: family, pad, pad, ifindex, state, flags, type. */
    MessageWriter ndmsg(int family, int index, int state, int flags, int type) {
        return u8(family).u8(0).u16(0).u32(index).u16(state).u8(flags).u8(type);
    }

    // --- attributes ---

    private void attrHeader(int type, int payloadLen) {
        buf.putShort((short) (4 + payloadLen)).putShort((short) type);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    MessageWriter attr(int type, byte[] value) {
        attrHeader(type, value.length);
        buf.put(value);
        pad();
        return this;
    }

    MessageWriter attrU8(int type, int v) {
        attrHeader(type, 1);
        buf.put((byte) v);
        pad();
        return this;
    }

    MessageWriter attrU16(int type, int v) {
        attrHeader(type, 2);
        buf.putShort((short) v);
        pad();
        return this;
    }

    /** A 16-bit value in network byte order (e.g. {@code IFLA_VXLAN_PORT}). */
    MessageWriter attrU16Be(int type, int v) {
        attrHeader(type, 2);
        buf.put((byte) (v >>> 8)).put((byte) v);
        pad();
        return this;
    }

    MessageWriter attrU32(int type, int v) {
        attrHeader(type, 4);
        buf.putInt(v);
        pad();
        return this;
    }

    /** A u32 attribute that is left out when {@code v} is 0: the field is unset, and the kernel's default applies. */
    MessageWriter attrU32IfSet(int type, int v) {
        return v == 0 ? this : attrU32(type, v);
    }

    /** An address attribute (4 or 16 bytes) that is left out when {@code address} is null: the field is unset. */
    MessageWriter attrAddressIfSet(int type, InetAddress address) {
        return address == null ? this : attr(type, address.getAddress());
    }

    /** An IPv4 address: 4 bytes, network order. */
    MessageWriter attrIp4(int type, int address) {
        attrHeader(type, 4);
        buf.put((byte) (address >>> 24)).put((byte) (address >>> 16)).put((byte) (address >>> 8)).put((byte) address);
        return this;
    }

    /** A NUL-terminated string, as the kernel's {@code NLA_STRING}/{@code NLA_NUL_STRING} accept. */
    MessageWriter attrString(int type, String v) {
        byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
        attrHeader(type, bytes.length + 1);
        buf.put(bytes).put((byte) 0);
        pad();
        return this;
    }

    /** A flag attribute: present means on. */
    MessageWriter attrFlag(int type) {
        attrHeader(type, 0);
        return this;
    }

    /** Opens a nested attribute; close it with {@link #nestEnd}. */
    int nestStart(int type) {
        int start = buf.position();
        attrHeader(type | NLA_F_NESTED, 0);
        return start;
    }

    /** Opens a nested attribute without {@code NLA_F_NESTED} (e.g. {@code VETH_INFO_PEER}, which holds an ifinfomsg first). */
    int nestStartRaw(int type) {
        int start = buf.position();
        attrHeader(type, 0);
        return start;
    }

    MessageWriter nestEnd(int start) {
        buf.putShort(start, (short) (buf.position() - start));
        return this;
    }
}
