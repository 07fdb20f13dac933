package io.javaoverlay.core.backend.hostgw;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.config.Ipv6Config;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.Route;

/**
 * host-gw's IPv6 path to a dual-stack peer, as flannel's host-gw makes it:
 * {@code <peer IPv6 subnet> via <peer PublicIPv6> dev <external> proto 74}. Kept apart from the
 * IPv4 routes ({@link HostGwRoutes}) in a reconciler of its own, keyed like it by the lease's
 * IPv4 subnet; a peer without an IPv6 half (or without a PublicIPv6) has no IPv6 path.
 */
final class HostGw6Routes extends HostGwPaths<Ip6Net, HostGw6Routes.Peer> {

    /** One peer's IPv6 subnet and its gateway, the peer's PublicIPv6. */
    record Peer(Ip6Net subnet, InetAddress gateway) implements HostGwPaths.Via<Ip6Net> {
        @Override
        public String toString() {
            return subnet + " via " + gateway.getHostAddress();
        }
    }

    private final Ipv6Config config;

    HostGw6Routes(KernelTables kernel, ExternalInterface external, Ipv6Config config, Supplier<Optional<Ip6Net>> own) {
        super(kernel, external, "IPv6 ", own);
        this.config = config;
    }

    @Override
    public Optional<Peer> path(Lease lease) {
        if (lease.ipv6Subnet().isEmpty() || lease.attrs().publicIpv6().isEmpty()
                || HostGwRoutes.check(lease).isPresent()) {
            return Optional.empty(); // an IPv4-only peer; the admission rejected anything worse
        }
        return Optional.of(new Peer(lease.ipv6Subnet().get(), address(Ip6Net.parseAddress(lease.attrs().publicIpv6().get()))));
    }

    @Override
    Route target(Peer peer) {
        return Route.to(address(peer.subnet().address()), peer.subnet().prefixLength()).via(peer.gateway());
    }

    @Override
    List<Route> routes(KernelTables kernel) {
        return kernel.routes6();
    }

    @Override
    public String hint(Peer peer) {
        return " (host-gw needs every host on one L2 segment: is " + peer.gateway().getHostAddress() + " directly reachable from "
                + external.name() + " over IPv6?)";
    }

    /** A route this backend made: marked, gatewayed, on the external interface, to an IPv6SubnetLen subnet of IPv6Network. */
    @Override
    Optional<Peer> ours(Route r) {
        if (r.isDefault() || r.gateway() == null || r.outputIndex() != external.index() || r.protocol() != Route.PROTOCOL_JAVAOVERLAY
                || !(r.destination() instanceof Inet6Address)) {
            return Optional.empty();
        }
        Ip6Net dst = Ip6Net.containing(new BigInteger(1, r.destination().getAddress()), r.prefixLength());
        boolean mine = dst.prefixLength() == config.subnetLen() && config.network().contains(dst) && !own.get().map(dst::equals).orElse(false);
        return mine ? Optional.of(new Peer(dst, r.gateway())) : Optional.empty();
    }

    static InetAddress address(BigInteger value) {
        return Ip6Net.toInetAddress(value);
    }
}
