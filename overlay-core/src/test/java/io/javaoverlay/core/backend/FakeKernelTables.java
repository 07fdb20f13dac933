package io.javaoverlay.core.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.netlink.Errno;
import io.javaoverlay.core.netlink.FdbEntry;
import io.javaoverlay.core.netlink.Neighbour;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;

/**
 * Routes, neighbour and FDB entries in memory, keyed as the kernel keys them (a route by its
 * destination, a neighbour by link and address, a vxlan FDB entry by link and MAC), with the
 * kernel's answers: {@code NotFound} for deleting what is not there, a refusal on request.
 * Test sources only.
 */
public final class FakeKernelTables implements KernelTables {

    public final List<Route> routes = new ArrayList<>();
    public final List<Neighbour> neighbours = new ArrayList<>();
    public final List<FdbEntry> fdb = new ArrayList<>();
    /** Routes the "kernel" refuses to add (an unreachable gateway). */
    public Predicate<Route> refuseRoute = r -> false;
    /** Every write, in order, as {@code replace route 10.5.2.0/24} / {@code delete fdb ...}. */
    public final List<String> writes = new ArrayList<>();

    /** The external interface the path tests program peers beside: {@code eth0} at {@code index}, MTU 1500, 192.168.1.1 (no NAT). */
    public static ExternalInterface eth0(int index) {
        return new ExternalInterface("eth0", index, 1500, Ip4.parse("192.168.1.1"), Ip4.parse("192.168.1.1"));
    }

    private static NetlinkException notFound(String op) {
        return new NetlinkException.NotFound(op + " failed: No such file or directory (ENOENT)", Errno.ENOENT, op);
    }

    @Override
    public void replaceRoute(Route route) {
        if (refuseRoute.test(route)) {
            throw new NetlinkException("RTM_NEWROUTE failed: Network is unreachable (ENETUNREACH)", 101, "RTM_NEWROUTE");
        }
        writes.add("replace route " + dst(route));
        routes.removeIf(r -> dst(r).equals(dst(route)));
        routes.add(route);
    }

    @Override
    public void deleteRoute(Route route) {
        writes.add("delete route " + dst(route));
        boolean gone = routes.removeIf(r -> dst(r).equals(dst(route))
                && (route.gateway() == null || route.gateway().equals(r.gateway())));
        if (!gone) {
            throw notFound("RTM_DELROUTE");
        }
    }

    @Override
    public List<Route> routes() {
        return routes.stream().filter(r -> r.family() == 2).toList();
    }

    @Override
    public List<Route> routes6() {
        return routes.stream().filter(r -> r.family() == 10).toList();
    }

    /** A route's destination as the kernel keys it: {@code 10.5.2.0/24}, {@code fc00:5:0:2::/64}. */
    private static String dst(Route r) {
        if (r.family() == 2) {
            return r.ip4Destination().toString();
        }
        return io.javaoverlay.core.net.Ip6Net.format(new java.math.BigInteger(1, r.destination().getAddress())) + "/" + r.prefixLength();
    }

    @Override
    public void replaceNeighbour(Neighbour n) {
        writes.add("replace neighbour " + n.address().getHostAddress());
        neighbours.removeIf(x -> x.linkIndex() == n.linkIndex() && x.address().equals(n.address()));
        neighbours.add(n);
    }

    @Override
    public void deleteNeighbour(Neighbour n) {
        writes.add("delete neighbour " + n.address().getHostAddress());
        if (!neighbours.removeIf(x -> x.linkIndex() == n.linkIndex() && x.address().equals(n.address()))) {
            throw notFound("RTM_DELNEIGH");
        }
    }

    @Override
    public List<Neighbour> neighbours(int linkIndex) {
        return neighbours.stream().filter(n -> n.linkIndex() == linkIndex && n.address() instanceof java.net.Inet4Address).toList();
    }

    @Override
    public List<Neighbour> neighbours6(int linkIndex) {
        return neighbours.stream().filter(n -> n.linkIndex() == linkIndex && n.address() instanceof java.net.Inet6Address).toList();
    }

    @Override
    public void replaceFdb(FdbEntry e) {
        writes.add("replace fdb " + e.mac() + " " + (e.remote() == null ? null : e.remote().getHostAddress()));
        fdb.removeIf(x -> x.linkIndex() == e.linkIndex() && x.mac().equals(e.mac()));
        fdb.add(e);
    }

    @Override
    public void deleteFdb(FdbEntry e) {
        writes.add("delete fdb " + e.mac() + " " + (e.remote() == null ? null : e.remote().getHostAddress()));
        if (!fdb.removeIf(x -> x.linkIndex() == e.linkIndex() && x.mac().equals(e.mac()))) {
            throw notFound("RTM_DELNEIGH");
        }
    }

    @Override
    public List<FdbEntry> fdb(int linkIndex) {
        return fdb.stream().filter(e -> e.linkIndex() == linkIndex).toList();
    }
}
