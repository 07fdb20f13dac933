package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Routes ({@code ip route}): add, replace, delete, list. A route is keyed by its destination in
 * its table: add fails with {@link NetlinkException.Exists} when one to the same destination
 * exists, replace replaces it; delete also matches the route's gateway, device and metric where
 * set, and fails with {@link NetlinkException.NotFound} (ESRCH) when there is none.
 */
public final class Routes extends RtnlObjects<Route> {

    private static final int RTM_F_CLONED = 0x200;

    Routes(NetlinkChannel channel) {
        super(channel, RTM_NEWROUTE, RTM_DELROUTE, "route", Routes::encode);
    }

    /** Every route of the family ({@code AF_INET} = 2, {@code AF_INET6} = 10) in every table. */
    public List<Route> list(int family) {
        return channel.dump(RTM_GETROUTE, "routes", w -> w.rtmsg(family, 0, 0, 0, 0, 0, 0), Routes::decode);
    }

    /** The IPv4 routes of the main table, as {@code ip route} shows them. */
    public List<Route> listIp4() {
        return list(AF_INET).stream().filter(r -> r.table() == Route.TABLE_MAIN).toList();
    }

    static void encode(MessageWriter w, Route r, boolean forDelete) {
        int table = r.table();
        // For deletion, scope "nowhere", protocol 0 and type 0 match any, like iproute2's `ip route del`.
        w.rtmsg(r.family(), r.prefixLength(), table < 256 ? table : 252 /* RT_TABLE_COMPAT */,
                forDelete ? 0 : r.protocol(), forDelete ? 255 : r.scope(), forDelete ? 0 : r.type(),
                r.onlink() ? RTNH_F_ONLINK : 0);
        if (table >= 256) {
            w.attrU32(RTA_TABLE, table);
        }
        w.attrAddressIfSet(RTA_DST, r.destination());
        w.attrAddressIfSet(RTA_GATEWAY, r.gateway());
        w.attrU32IfSet(RTA_OIF, r.outputIndex());
        w.attrAddressIfSet(RTA_PREFSRC, r.preferredSource());
        w.attrU32IfSet(RTA_PRIORITY, r.metric());
    }

    static Route decode(ByteBuffer b, int type, int payload, int end) {
        if (type != RTM_NEWROUTE) {
            return null;
        }
        int family = b.get(payload) & 0xff;
        int dstLen = b.get(payload + 1) & 0xff;
        int table = b.get(payload + 4) & 0xff;
        int protocol = b.get(payload + 5) & 0xff;
        int scope = b.get(payload + 6) & 0xff;
        int rtype = b.get(payload + 7) & 0xff;
        int flags = b.getInt(payload + 8);
        if ((flags & RTM_F_CLONED) != 0 || (family != AF_INET && family != AF_INET6)) {
            return null; // route cache entries are not configuration
        }
        Attrs a = Attrs.parse(b, payload + 12, end, RTA_MAX_PARSED);
        InetAddress dst = InetCodec.fromBytes(a.bytes(RTA_DST));
        return new Route(family, dst, dst == null ? 0 : dstLen, InetCodec.fromBytes(a.bytes(RTA_GATEWAY)),
                a.u32(RTA_OIF, 0), InetCodec.fromBytes(a.bytes(RTA_PREFSRC)), a.u32(RTA_TABLE, table), protocol,
                scope, rtype, a.u32(RTA_PRIORITY, 0), (flags & RTNH_F_ONLINK) != 0);
    }
}
