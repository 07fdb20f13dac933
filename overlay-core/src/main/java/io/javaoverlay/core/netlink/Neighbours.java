package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import io.javaoverlay.core.net.MacAddress;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/** Neighbour (ARP / NDP) entries ({@code ip neigh}): add, replace, delete, list. */
public final class Neighbours {

    private final NetlinkChannel channel;

    Neighbours(NetlinkChannel channel) {
        this.channel = channel;
    }

    /** Adds the entry; {@link NetlinkException.Exists} when the device has one for that address. */
    public void add(Neighbour n) {
        channel.execute(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, "neighbour " + n, w -> encode(w, n));
    }

    /** Adds the entry or overwrites the one for that address (idempotent). */
    public void replace(Neighbour n) {
        channel.execute(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, "neighbour " + n, w -> encode(w, n));
    }

    /** Deletes the entry for the neighbour's address on its device; {@link NetlinkException.NotFound} when absent. */
    public void delete(Neighbour n) {
        channel.execute(RTM_DELNEIGH, 0, "neighbour " + n, w -> {
            w.ndmsg(n.family(), n.linkIndex(), 0, 0, 0);
            w.attr(NDA_DST, n.address().getAddress());
        });
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

    private static void encode(MessageWriter w, Neighbour n) {
        w.ndmsg(n.family(), n.linkIndex(), n.state(), n.flags(), 0);
        w.attr(NDA_DST, n.address().getAddress());
        if (n.mac() != null) {
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
