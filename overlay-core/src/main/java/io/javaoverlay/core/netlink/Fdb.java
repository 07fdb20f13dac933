package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Bridge forwarding-database entries ({@code bridge fdb}), here for vxlan devices: AF_BRIDGE
 * neighbour messages with {@code NDA_LLADDR} and {@code NDA_DST}. An entry is keyed by its MAC:
 * add ({@code bridge fdb add}) fails with {@link NetlinkException.Exists} when the MAC has an
 * entry, replace ({@code bridge fdb replace}) points the MAC at the new destination, and delete
 * ({@code bridge fdb del}) with a destination removes only that destination of the MAC, failing
 * with {@link NetlinkException.NotFound} when there is no such entry.
 */
public final class Fdb extends RtnlObjects<FdbEntry> {

    Fdb(NetlinkChannel channel) {
        super(channel, RTM_NEWNEIGH, RTM_DELNEIGH, "fdb", (w, e, forDelete) -> encode(w, e));
    }

    /** {@code bridge fdb append}: adds another destination to the MAC (used for the all-zeros flood entry). */
    public void append(FdbEntry e) {
        request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, e, false);
    }

    /** All entries of all devices (bridges and vxlan devices). */
    public List<FdbEntry> list() {
        return channel.dump(RTM_GETNEIGH, "fdb", w -> w.ndmsg(AF_BRIDGE, 0, 0, 0, 0), Fdb::decode);
    }

    /** The entries of one device. */
    public List<FdbEntry> list(int linkIndex) {
        return list().stream().filter(e -> e.linkIndex() == linkIndex).toList();
    }

    private static void encode(MessageWriter w, FdbEntry e) {
        w.ndmsg(AF_BRIDGE, e.linkIndex(), e.state(), e.flags(), 0);
        w.attr(NDA_LLADDR, e.mac().bytes());
        if (e.destination() != null) {
            w.attrIp4(NDA_DST, e.destination().value());
        } else if (e.destination6() != null) {
            w.attr(NDA_DST, e.destination6().getAddress());
        }
    }

    static FdbEntry decode(ByteBuffer b, int type, int payload, int end) {
        if (type != RTM_NEWNEIGH || (b.get(payload) & 0xff) != AF_BRIDGE) {
            return null;
        }
        int index = b.getInt(payload + 4);
        int state = b.getShort(payload + 8) & 0xffff;
        int flags = b.get(payload + 10) & 0xff;
        Attrs a = Attrs.parse(b, payload + 12, end, NDA_MAX_PARSED);
        byte[] mac = a.bytes(NDA_LLADDR);
        byte[] dst = a.bytes(NDA_DST);
        if (mac == null || mac.length != 6 || index <= 0) {
            return null;
        }
        return new FdbEntry(index, new MacAddress(mac), dst != null && dst.length == 4 ? Ip4.fromBytes(dst) : null,
                state, flags, a.u32(NDA_MASTER, 0),
                dst != null && dst.length == 16 && InetCodec.fromBytes(dst) instanceof java.net.Inet6Address a6 ? a6 : null);
    }
}
