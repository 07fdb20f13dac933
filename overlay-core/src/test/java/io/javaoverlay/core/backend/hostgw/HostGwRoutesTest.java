package io.javaoverlay.core.backend.hostgw;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Route;

/** host-gw's handle and recheck on an in-memory routing table: what `ip route` would show. */
class HostGwRoutesTest {

    private static final int EXT = 7;
    private static final ExternalInterface EXTERNAL = FakeKernelTables.eth0(EXT);
    private static final Ip4Net OWN = Ip4Net.parse("10.5.1.0/24");

    private final FakeKernelTables kernel = new FakeKernelTables();
    private final PeerReconciler<HostGwRoutes.Peer> peers = new PeerReconciler<>(new HostGwRoutes(kernel, EXTERNAL,
            NetworkConfig.parse("{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"host-gw\"}}"), () -> Optional.of(OWN)));

    private static Lease lease(String subnet, String publicIp, String type) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(publicIp), Optional.of(type), Optional.empty()),
                false, Optional.empty(), 1);
    }

    private static Route marked(String subnet, String via) {
        return Route.ip4(Ip4Net.parse(subnet)).via(Ip4.parse(via)).device(EXT).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private List<String> table() {
        return kernel.routes.stream().map(r -> r.ip4Destination() + " via " + r.ip4Gateway()
                + (r.protocol() == Route.PROTOCOL_JAVAOVERLAY ? " proto 74" : "")).sorted().toList();
    }

    @Test
    void eachPeerGetsARouteViaItsPublicIpAndLosesItWhenItsLeaseGoes() {
        Lease two = lease("10.5.2.0/24", "192.168.1.2", "host-gw");
        peers.handle(List.of(new LeaseEvent.Added(two), new LeaseEvent.Added(lease("10.5.3.0/24", "192.168.1.3", "host-gw"))));
        assertThat(table()).containsExactly("10.5.2.0/24 via 192.168.1.2 proto 74", "10.5.3.0/24 via 192.168.1.3 proto 74");

        peers.handle(List.of(new LeaseEvent.Removed(two)));
        assertThat(table()).containsExactly("10.5.3.0/24 via 192.168.1.3 proto 74");
    }

    @Test
    void aSubnetTakenOverByAnotherHostMovesToTheNewGateway() {
        Lease before = lease("10.5.2.0/24", "192.168.1.2", "host-gw");
        peers.handle(List.of(new LeaseEvent.Added(before)));
        peers.handle(List.of(new LeaseEvent.Changed(before, lease("10.5.2.0/24", "192.168.1.9", "host-gw"))));
        assertThat(table()).containsExactly("10.5.2.0/24 via 192.168.1.9 proto 74");
    }

    @Test
    void aLeaseOfAnotherBackendIsNeverRouted() {
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "vxlan"))));
        assertThat(table()).isEmpty();
        assertThat(peers.wanted()).isEmpty();
    }

    @Test
    void theFirstBatchRemovesOurStaleRoutesAndLeavesAnOperatorsAndThisHostsAlone() {
        kernel.routes.add(marked("10.5.9.0/24", "192.168.1.9"));                                   // ours, no lease any more
        kernel.routes.add(Route.ip4(Ip4Net.parse("10.5.8.0/24")).via(Ip4.parse("192.168.1.8")).device(EXT)); // an operator's
        kernel.routes.add(marked(OWN.toString(), "192.168.1.1"));                                    // this host's subnet
        kernel.routes.add(marked("172.16.0.0/24", "192.168.1.7"));                                  // outside the Network
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "host-gw"))));
        assertThat(table()).containsExactly("10.5.1.0/24 via 192.168.1.1 proto 74", "10.5.2.0/24 via 192.168.1.2 proto 74",
                "10.5.8.0/24 via 192.168.1.8", "172.16.0.0/24 via 192.168.1.7 proto 74");
    }

    @Test
    void recheckRestoresADeletedRouteAndOneSomeonePointedElsewhere() {
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "host-gw")),
                new LeaseEvent.Added(lease("10.5.3.0/24", "192.168.1.3", "host-gw"))));
        kernel.routes.removeIf(r -> r.ip4Destination().equals(Ip4Net.parse("10.5.2.0/24")));
        kernel.routes.removeIf(r -> r.ip4Destination().equals(Ip4Net.parse("10.5.3.0/24")));
        kernel.routes.add(marked("10.5.3.0/24", "192.168.1.66"));
        peers.recheck();
        assertThat(table()).containsExactly("10.5.2.0/24 via 192.168.1.2 proto 74", "10.5.3.0/24 via 192.168.1.3 proto 74");
    }

    @Test
    void aRouteTheKernelRefusesIsRetriedOnEveryRecheckUntilItIsTaken() {
        kernel.refuseRoute = r -> r.ip4Gateway().equals(Ip4.parse("192.168.1.2"));
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "host-gw"))));
        assertThat(table()).isEmpty();
        assertThat(peers.failed()).containsExactly(LeaseId.of(Ip4Net.parse("10.5.2.0/24")));

        peers.recheck();
        assertThat(table()).isEmpty();

        kernel.refuseRoute = r -> false;
        peers.recheck();
        assertThat(table()).containsExactly("10.5.2.0/24 via 192.168.1.2 proto 74");
        assertThat(peers.failed()).isEmpty();
    }
}
