package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A route ({@code ip route}). Start from {@link #ip4(Ip4Net)} or {@link #defaultIp4()} and add
 * what it needs: {@code Route.ip4(peerSubnet).via(peerVtep).device(vxlanIndex).withOnlink()}.
 *
 * @param family {@code AF_INET} (2) or {@code AF_INET6} (10)
 * @param destination the destination network address, or null for the default route
 * @param prefixLength the destination prefix length (0 for the default route)
 * @param gateway the next hop, or null for a directly connected destination
 * @param outputIndex the output device's index, or 0 to let the kernel choose by gateway
 * @param preferredSource the source address to prefer, or null
 * @param table the routing table ({@link #TABLE_MAIN} = 254)
 * @param protocol who installed it ({@link #PROTOCOL_BOOT} = 3, as iproute2 by default; 2 kernel)
 * @param scope {@code RT_SCOPE_*}: 0 universe (via a gateway), 253 link (directly connected)
 * @param type {@code RTN_*}: 1 unicast
 * @param metric the priority (lower wins), 0 for none
 * @param onlink whether the gateway is taken to be on the link even without a matching
 *        subnet on the device ({@code RTNH_F_ONLINK}): how vxlan routes reach peer VTEPs
 */
public record Route(int family, InetAddress destination, int prefixLength, InetAddress gateway, int outputIndex,
        InetAddress preferredSource, int table, int protocol, int scope, int type, int metric, boolean onlink) {

    public static final int TABLE_MAIN = 254;
    public static final int PROTOCOL_KERNEL = 2;
    public static final int PROTOCOL_BOOT = 3;
    public static final int PROTOCOL_STATIC = 4;
    /**
     * The protocol javaoverlay marks the routes it makes with ({@code ip route} shows {@code proto 74}):
     * what it made is told from what the host or an operator made by this mark, not by shape, so a
     * clean-up never deletes a route it did not create. 74 is unassigned in iproute2's rt_protos
     * (0-4 are the kernel's, 8-18 and 42, 99, 186-192 are routing daemons').
     */
    public static final int PROTOCOL_JAVAOVERLAY = 74;
    public static final int SCOPE_UNIVERSE = 0;
    public static final int SCOPE_LINK = 253;
    public static final int TYPE_UNICAST = 1;

    public Route {
        if (family != Rtnl.AF_INET && family != Rtnl.AF_INET6) {
            throw new IllegalArgumentException("route family must be AF_INET or AF_INET6, got " + family);
        }
        int max = InetCodec.maxPrefix(family);
        if (prefixLength < 0 || prefixLength > max || (destination == null && prefixLength != 0)) {
            throw new IllegalArgumentException("bad prefix length " + prefixLength + " for destination " + destination);
        }
        for (InetAddress a : new InetAddress[] {destination, gateway, preferredSource}) {
            if (a != null && InetCodec.family(a) != family) {
                throw new IllegalArgumentException("address " + a.getHostAddress() + " does not match the route's family");
            }
        }
    }

    /** A route to an IPv4 network in the main table, scope link until a gateway is added. */
    public static Route ip4(Ip4Net destination) {
        InetAddress dst = destination.prefixLength() == 0 ? null : destination.address().toInetAddress();
        return new Route(Rtnl.AF_INET, dst, destination.prefixLength(), null, 0, null, TABLE_MAIN, PROTOCOL_BOOT,
                SCOPE_LINK, TYPE_UNICAST, 0, false);
    }

    public static Route defaultIp4() {
        return new Route(Rtnl.AF_INET, null, 0, null, 0, null, TABLE_MAIN, PROTOCOL_BOOT, SCOPE_LINK, TYPE_UNICAST, 0, false);
    }

    /** A route to a network of either family. */
    public static Route to(InetAddress destination, int prefixLength) {
        return new Route(InetCodec.family(destination), destination, prefixLength, null, 0, null, TABLE_MAIN,
                PROTOCOL_BOOT, SCOPE_LINK, TYPE_UNICAST, 0, false);
    }

    /** Through a gateway; the scope becomes universe, as the kernel requires for gatewayed routes. */
    public Route via(Ip4 gateway) {
        return via(gateway.toInetAddress());
    }

    public Route via(InetAddress gateway) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                SCOPE_UNIVERSE, type, metric, onlink);
    }

    public Route device(int index) {
        return new Route(family, destination, prefixLength, gateway, index, preferredSource, table, protocol, scope,
                type, metric, onlink);
    }

    public Route device(Link link) {
        return device(link.index());
    }

    public Route withOnlink() {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, true);
    }

    public Route withSource(InetAddress preferredSource) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, onlink);
    }

    public Route withTable(int table) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, onlink);
    }

    public Route withProtocol(int protocol) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, onlink);
    }

    public Route withScope(int scope) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, onlink);
    }

    public Route withMetric(int metric) {
        return new Route(family, destination, prefixLength, gateway, outputIndex, preferredSource, table, protocol,
                scope, type, metric, onlink);
    }

    public boolean isDefault() {
        return destination == null;
    }

    /** The destination as an IPv4 network (0.0.0.0/0 for the default route); fails for IPv6. */
    public Ip4Net ip4Destination() {
        if (family != Rtnl.AF_INET) {
            throw new IllegalStateException("not an IPv4 route: " + this);
        }
        return destination == null ? Ip4Net.parse("0.0.0.0/0") : Ip4Net.containing(Ip4.of(destination), prefixLength);
    }

    /** The gateway as an IPv4 address, or null. */
    public Ip4 ip4Gateway() {
        return gateway instanceof Inet4Address ? Ip4.of(gateway) : null;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(destination == null ? "default" : destination.getHostAddress() + "/" + prefixLength);
        if (gateway != null) {
            s.append(" via ").append(gateway.getHostAddress());
        }
        if (outputIndex != 0) {
            s.append(" dev#").append(outputIndex);
        }
        if (onlink) {
            s.append(" onlink");
        }
        if (table != TABLE_MAIN) {
            s.append(" table ").append(table);
        }
        if (metric != 0) {
            s.append(" metric ").append(metric);
        }
        return s.toString();
    }
}
