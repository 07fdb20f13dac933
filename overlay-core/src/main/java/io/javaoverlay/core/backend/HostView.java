package io.javaoverlay.core.backend;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * What this host has that another host's lease must not take over: its own IPv4 addresses (with
 * their networks, whose network and broadcast addresses are not hosts) and the routes of its
 * main table. Read once per batch of lease events and on every recheck.
 *
 * @param addresses every IPv4 address of every interface, with its prefix
 * @param routes    the main table's IPv4 routes, as {@code ip route} lists them
 */
public record HostView(List<Ip4Net.HostAddress> addresses, List<Route> routes) {

    public HostView {
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    /** Reads the host's addresses and routes through {@code nl}. */
    public static HostView read(NetlinkSocket nl) {
        List<Ip4Net.HostAddress> addrs = new ArrayList<>();
        for (Address a : nl.addresses().list()) {
            if (a.isIp4()) {
                addrs.add(a.ip4());
            }
        }
        return new HostView(addrs, nl.routes().listIp4());
    }

    /** Nothing: for an agent that programs no data path (--no-data-path). */
    public static HostView none() {
        return new HostView(List.of(), List.of());
    }

    /** This host's own addresses. */
    public Set<Ip4> localAddresses() {
        Set<Ip4> s = new HashSet<>();
        for (Ip4Net.HostAddress a : addresses) {
            s.add(a.ip());
        }
        return s;
    }

    /**
     * The destinations of routes that javaoverlay did not make and that lie inside {@code network}
     * (narrower than it): connected networks, an underlay inside the overlay's range, an
     * operator's routes. A subnet overlapping one of them cannot be leased or routed to a peer
     * without replacing or shadowing it. Routes as wide as the network or wider (a default route,
     * a 10.0.0.0/8 towards a corporate network) are not in the way: a peer's subnet is more
     * specific, which is what choosing the Network asked for.
     *
     * @param ours the routes a backend made on its own devices (told apart by device, as the
     *             udp backend's route of the whole network is)
     */
    public List<Route> foreignRoutesIn(Ip4Net network, java.util.function.Predicate<Route> ours) {
        List<Route> out = new ArrayList<>();
        for (Route r : routes) {
            if (r.isDefault() || r.protocol() == Route.PROTOCOL_JAVAOVERLAY || ours.test(r)) {
                continue;
            }
            Ip4Net dst = r.ip4Destination();
            if (dst.prefixLength() > network.prefixLength() && network.overlaps(dst)) {
                out.add(r);
            }
        }
        return out;
    }
}
