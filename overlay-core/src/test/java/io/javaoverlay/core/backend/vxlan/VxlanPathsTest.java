package io.javaoverlay.core.backend.vxlan;

import static io.javaoverlay.core.backend.vxlan.VxlanPathsTestLeases.ipv4;
import static io.javaoverlay.core.backend.vxlan.VxlanPathsTestLeases.removeLeavesNothing;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.FakeKernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** vxlan's handle and recheck on in-memory routes, neighbours and FDB entries. */
class VxlanPathsTest {

    private static final int EXT = 2;
    private static final ExternalInterface EXTERNAL = FakeKernelTables.eth0(EXT);
    private static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");

    /** Peers on 10.5.2.0/24 and 10.5.3.0/24, each its own machine with its own VTEP MAC. */
    private static final Lease TWO = ipv4("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02");
    private static final Lease THREE = ipv4("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03");

    private final FakeKernelTables kernel = new FakeKernelTables();
    private final AtomicInteger device = new AtomicInteger(9);

    private PeerReconciler<VxlanPeer> reconciler(List<Ip4Net> directNetworks) {
        return new PeerReconciler<>(new VxlanPaths(kernel, device::get, EXTERNAL, CONFIG, directNetworks,
                () -> Optional.of(Ip4Net.parse("10.5.1.0/24"))));
    }

    @Test
    void aPeerGetsNeighbourThenFdbThenRouteAndLosesRouteFirst() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(TWO)));
        assertThat(kernel.writes).containsExactly("replace neighbour 10.5.2.0", "replace fdb 0a:00:00:00:00:02 192.168.1.2",
                "replace route 10.5.2.0/24");
        assertThat(kernel.routes).singleElement().satisfies(r -> {
            assertThat(r.outputIndex()).isEqualTo(9);
            assertThat(r.ip4Gateway()).isEqualTo(Ip4.parse("10.5.2.0"));
        });

        removeLeavesNothing(peers, kernel, TWO, "delete route 10.5.2.0/24", "delete neighbour 10.5.2.0",
                "delete fdb 0a:00:00:00:00:02 192.168.1.2");
    }

    @Test
    void twoLeasesOfOneMachineShareTheirFdbEntryUntilTheLastGoes() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease b = ipv4("10.5.3.0/24", "192.168.1.2", "0a:00:00:00:00:02"); // TWO's machine again
        peers.handle(List.of(new LeaseEvent.Added(TWO), new LeaseEvent.Added(b)));
        peers.handle(List.of(new LeaseEvent.Removed(TWO)));
        assertThat(kernel.fdb).hasSize(1);
        peers.handle(List.of(new LeaseEvent.Removed(b)));
        assertThat(kernel.fdb).isEmpty();
    }

    @Test
    void aPeerThatMovesToANewVtepLeavesNoFdbEntryBehind() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(TWO)));
        peers.handle(List.of(new LeaseEvent.Changed(TWO, ipv4("10.5.2.0/24", "192.168.1.5", "0a:00:00:00:00:05"))));
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("192.168.1.5")));
    }

    @Test
    void recheckRestoresWhatSomeoneFlushed() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(TWO), new LeaseEvent.Added(THREE)));
        kernel.neighbours.clear();   // ip neigh flush dev flannel.1
        kernel.fdb.removeIf(f -> f.destination().equals(Ip4.parse("192.168.1.3")));
        peers.recheck();
        assertThat(kernel.neighbours).hasSize(2);
        assertThat(kernel.fdb).hasSize(2);
        assertThat(kernel.routes).hasSize(2);
    }

    @Test
    void aRecreatedDeviceGetsEveryPeerAgainOnTheNextRecheck() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(TWO)));
        kernel.routes.clear();
        kernel.neighbours.clear();
        kernel.fdb.clear();
        device.set(12);               // the device was deleted and made again with a new index
        peers.replayAll();
        peers.recheck();
        assertThat(kernel.routes).singleElement().satisfies(r -> assertThat(r.outputIndex()).isEqualTo(12));
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.linkIndex()).isEqualTo(12));
    }

    @Test
    void withDirectRoutingAPeerOnTheSameNetworkIsRoutedViaItsPublicIp() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of(Ip4Net.parse("192.168.1.0/24")));
        peers.handle(List.of(new LeaseEvent.Added(TWO),
                new LeaseEvent.Added(ipv4("10.5.3.0/24", "172.16.0.3", "0a:00:00:00:00:03"))));
        assertThat(kernel.routes).extracting(r -> r.ip4Destination() + " via " + r.ip4Gateway() + " dev " + r.outputIndex())
                .containsExactlyInAnyOrder("10.5.2.0/24 via 192.168.1.2 dev 2", "10.5.3.0/24 via 10.5.3.0 dev 9");
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("172.16.0.3")));
    }

    @Test
    void staleEntriesOfAnEarlierRunGoWithTheFirstBatch() {
        PeerReconciler<VxlanPeer> first = reconciler(List.of());
        first.handle(List.of(new LeaseEvent.Added(TWO), new LeaseEvent.Added(THREE)));
        PeerReconciler<VxlanPeer> restarted = reconciler(List.of());
        restarted.handle(List.of(new LeaseEvent.Added(THREE)));
        assertThat(kernel.routes).extracting(r -> r.ip4Destination().toString()).containsExactly("10.5.3.0/24");
        assertThat(kernel.neighbours).hasSize(1);
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("192.168.1.3")));
    }
}
