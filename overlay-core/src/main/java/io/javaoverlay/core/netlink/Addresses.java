package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Interface addresses ({@code ip addr}): add, replace, delete, list. An address is keyed by itself
 * on its device: add fails with {@link NetlinkException.Exists} when the device has it already,
 * replace updates it in place, and deleting one that is not there is an error (EADDRNOTAVAIL).
 */
public final class Addresses extends RtnlObjects<Address> {

    Addresses(NetlinkChannel channel) {
        super(channel, RTM_NEWADDR, RTM_DELADDR, "address", (w, a, forDelete) -> encode(w, a, !forDelete));
    }

    /** Every address of every device, both families. */
    public List<Address> list() {
        return list(AF_UNSPEC);
    }

    /** Every address of one family ({@code AF_INET} = 2, {@code AF_INET6} = 10; 0 for both). */
    public List<Address> list(int family) {
        return channel.dump(RTM_GETADDR, "addresses", w -> w.ifaddrmsg(family, 0, 0, 0, 0), Addresses::decode);
    }

    /** The addresses of one device, both families. */
    public List<Address> list(Link link) {
        return list().stream().filter(a -> a.linkIndex() == link.index()).toList();
    }

    static void encode(MessageWriter w, Address a, boolean withBroadcast) {
        int family = a.family();
        w.ifaddrmsg(family, a.prefixLength(), a.flags() & 0xff, a.scope(), a.linkIndex());
        byte[] bytes = a.address().getAddress();
        // IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer's on point-to-point
        // links; for ordinary devices both are the host address, as iproute2 sends them.
        w.attr(IFA_LOCAL, bytes);
        w.attr(IFA_ADDRESS, bytes);
        if (withBroadcast && family == AF_INET && a.prefixLength() < 31) {
            Ip4 broadcast = Ip4Net.containing(Ip4.fromBytes(bytes), a.prefixLength()).last();
            w.attrIp4(IFA_BROADCAST, broadcast.value());
        }
        if ((a.flags() & ~0xff) != 0) {
            w.attrU32(IFA_FLAGS, a.flags());
        }
    }

    static Address decode(ByteBuffer b, int type, int payload, int end) {
        if (type != RTM_NEWADDR) {
            return null;
        }
        int family = b.get(payload) & 0xff;
        int prefix = b.get(payload + 1) & 0xff;
        int flags = b.get(payload + 2) & 0xff;
        int scope = b.get(payload + 3) & 0xff;
        int index = b.getInt(payload + 4);
        Attrs a = Attrs.parse(b, payload + 8, end, IFA_MAX_PARSED);
        InetAddress local = InetCodec.fromBytes(a.bytes(family == AF_INET ? IFA_LOCAL : IFA_ADDRESS));
        if (local == null) {
            local = InetCodec.fromBytes(a.bytes(IFA_ADDRESS));
        }
        if (local == null || index <= 0) {
            return null;
        }
        return new Address(index, local, prefix, scope, a.u32(IFA_FLAGS, flags));
    }
}
