package io.javaoverlay.core.backend.hostgw;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.config.Ipv6Config;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;

/**
 * host-gw's IPv6 path to a dual-stack peer, as flannel's host-gw makes it:
 * {@code <peer IPv6 subnet> via <peer PublicIPv6> dev <external> proto 74}. Kept apart from the
 * IPv4 routes ({@link HostGwRoutes}) in a reconciler of its own, keyed like it by the lease's
 * IPv4 subnet; a peer without an IPv6 half (or without a PublicIPv6) has no IPv6 path.
 */
final class HostGw6Routes implements PeerReconciler.Paths<HostGw6Routes.Peer> {

    private static final Logger LOG = LoggerFactory.getLogger(HostGw6Routes.class);

    /** One peer's IPv6 subnet and its gateway, the peer's PublicIPv6. */
    record Peer(Ip6Net subnet, InetAddress gateway) {
        @Override
        public String toString() {
            return subnet + " via " + gateway.getHostAddress();
        }
    }

    private final KernelTables kernel;
    private final ExternalInterface external;
    private final Ipv6Config config;
    /** This host's IPv6 subnet once leased: never a peer's, never stale. */
    private final Supplier<Optional<Ip6Net>> own;

    HostGw6Routes(KernelTables kernel, ExternalInterface external, Ipv6Config config, Supplier<Optional<Ip6Net>> own) {
        this.kernel = kernel;
        this.external = external;
        this.config = config;
        this.own = own;
    }

    @Override
    public Optional<Peer> path(Lease lease) {
        if (lease.ipv6Subnet().isEmpty() || lease.attrs().publicIpv6().isEmpty()
                || HostGwRoutes.check(lease).isPresent()) {
            return Optional.empty(); // an IPv4-only peer; the admission rejected anything worse
        }
        return Optional.of(new Peer(lease.ipv6Subnet().get(), address(Ip6Net.parseAddress(lease.attrs().publicIpv6().get()))));
    }

    private Route route(Ip6Net subnet, InetAddress gw) {
        return Route.to(address(subnet.address()), subnet.prefixLength()).via(gw).device(external.index())
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    @Override
    public void program(Peer peer, Peer before, Map<LeaseId, Peer> programmed) {
        if (before != null && !before.subnet().equals(peer.subnet())) {
            delete(before.subnet(), before.gateway());
        }
        kernel.replaceRoute(route(peer.subnet(), peer.gateway()));
    }

    @Override
    public String hint(Peer peer) {
        return " (host-gw needs every host on one L2 segment: is " + peer.gateway().getHostAddress() + " directly reachable from "
                + external.name() + " over IPv6?)";
    }

    @Override
    public void unprogram(Peer gone, Map<LeaseId, Peer> remaining) {
        delete(gone.subnet(), gone.gateway());
    }

    private void delete(Ip6Net subnet, InetAddress gw) {
        try {
            kernel.deleteRoute(route(subnet, gw));
        } catch (NetlinkException.NotFound e) {
            // gone already
        } catch (NetlinkException e) {
            LOG.warn("cannot delete the route to {} via {}: {}", subnet, gw.getHostAddress(), e.getMessage());
        }
    }

    /** Marked IPv6 routes into IPv6Network through the external interface that no current lease explains. */
    @Override
    public void cleanUpStale(Map<LeaseId, Peer> wanted) {
        try {
            var explained = new java.util.HashSet<Ip6Net>();
            wanted.values().forEach(p -> explained.add(p.subnet()));
            for (Route r : kernel.routes6()) {
                Optional<Ip6Net> dst = ours(r);
                if (dst.isPresent() && !explained.contains(dst.get())) {
                    delete(dst.get(), r.gateway());
                    LOG.info("removed stale route {} (no lease for {} any more)", r, dst.get());
                }
            }
        } catch (NetlinkException e) {
            LOG.warn("cannot clean up IPv6 routes from an earlier run: {}", e.getMessage());
        }
    }

    /** The destination of a route this backend made: marked, gatewayed, on the external interface, an IPv6SubnetLen subnet of IPv6Network. */
    private Optional<Ip6Net> ours(Route r) {
        if (r.isDefault() || r.gateway() == null || r.outputIndex() != external.index() || r.protocol() != Route.PROTOCOL_JAVAOVERLAY
                || !(r.destination() instanceof Inet6Address)) {
            return Optional.empty();
        }
        Ip6Net dst = new Ip6Net(new BigInteger(1, r.destination().getAddress()).andNot(Ip6Net.hostMask(r.prefixLength())), r.prefixLength());
        boolean mine = dst.prefixLength() == config.subnetLen() && config.network().contains(dst) && !own.get().map(dst::equals).orElse(false);
        return mine ? Optional.of(dst) : Optional.empty();
    }

    @Override
    public Map<LeaseId, String> damaged(Map<LeaseId, Peer> programmed) {
        Map<Ip6Net, InetAddress> present = new HashMap<>();
        for (Route r : kernel.routes6()) {
            ours(r).ifPresent(dst -> present.put(dst, r.gateway()));
        }
        Map<LeaseId, String> damaged = new HashMap<>();
        for (Map.Entry<LeaseId, Peer> e : programmed.entrySet()) {
            if (!e.getValue().gateway().equals(present.get(e.getValue().subnet()))) {
                damaged.put(e.getKey(), "the route to " + e.getValue() + " is missing");
            }
        }
        return damaged;
    }

    static InetAddress address(BigInteger value) {
        return Ip6Net.toInetAddress(value);
    }
}
