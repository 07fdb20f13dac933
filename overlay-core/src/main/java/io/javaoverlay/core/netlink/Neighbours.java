package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import io.javaoverlay.core.net.MacAddress;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Neighbour (ARP / NDP) entries ({@code ip neigh}): add, replace, delete, list. An entry is keyed
 * by its address on its device: add fails with {@link NetlinkException.Exists} when the device has
 * one for that address, replace overwrites it, and delete fails with
 * {@link NetlinkException.NotFound} when there is none.
 */
public final class Neighbours extends RtnlObjects<Neighbour> {

    Neighbours(NetlinkChannel channel) {
        super(channel, RTM_NEWNEIGH, RTM_DELNEIGH, "neighbour", Neighbours::encode);
    }

    /** Every entry of the family ({@code AF_INET} = 2, {@code AF_INET6} = 10) on every device. */
    public List<Neighbour> list(int family) {
        return channel.dump(RTM_GETNEIGH, "neighbours", w -> w.ndmsg(family, 0, 0, 0, 0), Neighbours::decode);
    }

    /** The IPv4 entries of one device. */
    public List<Neighbour> listIp4(int linkIndex) {
        return list(AF_INET).stream().filter(n -> n.linkIndex() == linkIndex).toList();
    }

    /** The IPv6 entries of one device. */
    public List<Neighbour> listIp6(int linkIndex) {
        return list(AF_INET6).stream().filter(n -> n.linkIndex() == linkIndex).toList();
    }

    /** A deletion names the entry by its address on its device alone. */
    private static void encode(MessageWriter w, Neighbour n, boolean forDelete) {
        w.ndmsg(n.family(), n.linkIndex(), forDelete ? 0 : n.state(), forDelete ? 0 : n.flags(), 0);
        w.attr(NDA_DST, n.address().getAddress());
        if (!forDelete && n.mac() != null) {
            w.attr(NDA_LLADDR, n.mac().bytes());
        }
    }

    static Neighbour decode(ByteBuffer b, int type, int payload, int end) {
        if (type != RTM_NEWNEIGH) {
            return null;
        }
        int family = b.get(payload) & 0xff;
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        int index = b.getInt(payload + 4);
        int state = b.getShort(payload + 8) & 0xffff;
        int flags = b.get(payload + 10) & 0xff;
        Attrs a = Attrs.parse(b, payload + 12, end, NDA_MAX_PARSED);
        InetAddress dst = InetCodec.fromBytes(a.bytes(NDA_DST));
        byte[] mac = a.bytes(NDA_LLADDR);
        if (dst == null || index <= 0) {
            return null;
        }
        return new Neighbour(index, dst, mac != null && mac.length == 6 ? new MacAddress(mac) : null, state, flags);
    }
}
