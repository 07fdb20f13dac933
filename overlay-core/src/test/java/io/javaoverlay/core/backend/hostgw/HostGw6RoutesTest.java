package io.javaoverlay.core.backend.hostgw;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.FakeKernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.Route;

/** host-gw's IPv6 routes for dual-stack peers on an in-memory routing table. */
class HostGw6RoutesTest {

    private static final int EXT = 7;
    private static final ExternalInterface EXTERNAL = FakeKernelTables.eth0(EXT);
    private static final Ip6Net OWN6 = Ip6Net.parse("fc00:5:0:1::/64");
    private static final NetworkConfig DUAL = NetworkConfig.parse(
            "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\",\"Backend\":{\"Type\":\"host-gw\"}}");

    private final FakeKernelTables kernel = new FakeKernelTables();
    private final PeerReconciler<HostGw6Routes.Peer> peers = new PeerReconciler<>(new HostGw6Routes(kernel, EXTERNAL,
            DUAL.ipv6().orElseThrow(), () -> Optional.of(OWN6)));

    private static Lease lease(String subnet, String subnet6, String publicIpv6) {
        LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.168.1.9"), Optional.of("host-gw"), Optional.empty());
        if (publicIpv6 != null) {
            attrs = attrs.withIpv6(publicIpv6, Optional.empty());
        }
        return new Lease(Ip4Net.parse(subnet), Optional.ofNullable(subnet6).map(Ip6Net::parse), attrs, false, Optional.empty(), 1);
    }

    private List<String> table() {
        return kernel.routes6().stream().map(r -> Ip6Net.format(new java.math.BigInteger(1, r.destination().getAddress())) + "/"
                + r.prefixLength() + " via " + r.gateway().getHostAddress() + " dev#" + r.outputIndex()
                + (r.protocol() == Route.PROTOCOL_JAVAOVERLAY ? " proto 74" : "")).sorted().toList();
    }

    @Test
    void eachDualStackPeerGetsAnIpv6RouteViaItsPublicIpv6AndIpv4OnlyPeersNone() {
        Lease two = lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00::2");
        peers.handle(List.of(new LeaseEvent.Added(two), new LeaseEvent.Added(lease("10.5.3.0/24", null, null)),
                new LeaseEvent.Added(lease("10.5.4.0/24", "fc00:5:0:4::/64", "fd00::4"))));
        assertThat(table()).containsExactly("fc00:5:0:2::/64 via fd00:0:0:0:0:0:0:2 dev#7 proto 74",
                "fc00:5:0:4::/64 via fd00:0:0:0:0:0:0:4 dev#7 proto 74");
        assertThat(kernel.routes()).as("no IPv4 route from this reconciler").isEmpty();

        peers.handle(List.of(new LeaseEvent.Removed(two)));
        assertThat(table()).containsExactly("fc00:5:0:4::/64 via fd00:0:0:0:0:0:0:4 dev#7 proto 74");
    }

    @Test
    void aPeerThatMovesItsIpv6SubnetLeavesNoOldRouteAndADeletedRouteIsRestored() {
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00::2"))));
        peers.handle(List.of(new LeaseEvent.Changed(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00::2"),
                lease("10.5.2.0/24", "fc00:5:0:9::/64", "fd00::2"))));
        assertThat(table()).containsExactly("fc00:5:0:9::/64 via fd00:0:0:0:0:0:0:2 dev#7 proto 74");

        kernel.routes.clear();
        peers.recheck();
        assertThat(table()).containsExactly("fc00:5:0:9::/64 via fd00:0:0:0:0:0:0:2 dev#7 proto 74");
    }

    @Test
    void staleMarkedRoutesInTheNetworkGoAndOthersStay() throws Exception {
        Route stale = Route.to(InetAddress.getByName("fc00:5:0:7::"), 64).via(InetAddress.getByName("fd00::7")).device(EXT)
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
        Route operators = Route.to(InetAddress.getByName("fc00:5:0:8::"), 64).via(InetAddress.getByName("fd00::8")).device(EXT);
        Route ownSubnet = Route.to(InetAddress.getByName("fc00:5:0:1::"), 64).via(InetAddress.getByName("fd00::1")).device(EXT)
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
        Route outside = Route.to(InetAddress.getByName("fc00:6::"), 64).via(InetAddress.getByName("fd00::6")).device(EXT)
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
        kernel.routes.addAll(List.of(stale, operators, ownSubnet, outside));
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00::2"))));
        assertThat(kernel.routes6()).doesNotContain(stale).contains(operators, ownSubnet, outside);
    }
}
