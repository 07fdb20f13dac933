package io.javaoverlay.core.backend.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.FakeKernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** vxlan's handle and recheck on in-memory routes, neighbours and FDB entries. */
class VxlanPathsTest {

    private static final int EXT = 2;
    private static final ExternalInterface EXTERNAL = new ExternalInterface("eth0", EXT, 1500, Ip4.parse("192.168.1.1"),
            Ip4.parse("192.168.1.1"));
    private static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");

    private final FakeKernelTables kernel = new FakeKernelTables();
    private final AtomicInteger device = new AtomicInteger(9);

    private PeerReconciler<VxlanPeer> reconciler(List<Ip4Net> directNetworks) {
        return new PeerReconciler<>(new VxlanPaths(kernel, device::get, EXTERNAL, CONFIG, directNetworks,
                () -> Optional.of(Ip4Net.parse("10.5.1.0/24"))));
    }

    private static Lease lease(String subnet, String publicIp, String mac) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"),
                Optional.of(new ObjectMapper().createObjectNode().put("VNI", 1).put("VtepMAC", mac))), false, Optional.empty(), 1);
    }

    @Test
    void aPeerGetsNeighbourThenFdbThenRouteAndLosesRouteFirst() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease two = lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02");
        peers.handle(List.of(new LeaseEvent.Added(two)));
        assertThat(kernel.writes).containsExactly("replace neighbour 10.5.2.0", "replace fdb 0a:00:00:00:00:02 192.168.1.2",
                "replace route 10.5.2.0/24");
        assertThat(kernel.routes).singleElement().satisfies(r -> {
            assertThat(r.outputIndex()).isEqualTo(9);
            assertThat(r.ip4Gateway()).isEqualTo(Ip4.parse("10.5.2.0"));
        });

        kernel.writes.clear();
        peers.handle(List.of(new LeaseEvent.Removed(two)));
        assertThat(kernel.writes).containsExactly("delete route 10.5.2.0/24", "delete neighbour 10.5.2.0",
                "delete fdb 0a:00:00:00:00:02 192.168.1.2");
        assertThat(kernel.routes).isEmpty();
        assertThat(kernel.neighbours).isEmpty();
        assertThat(kernel.fdb).isEmpty();
    }

    @Test
    void twoLeasesOfOneMachineShareTheirFdbEntryUntilTheLastGoes() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease a = lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02");
        Lease b = lease("10.5.3.0/24", "192.168.1.2", "0a:00:00:00:00:02");
        peers.handle(List.of(new LeaseEvent.Added(a), new LeaseEvent.Added(b)));
        peers.handle(List.of(new LeaseEvent.Removed(a)));
        assertThat(kernel.fdb).hasSize(1);
        peers.handle(List.of(new LeaseEvent.Removed(b)));
        assertThat(kernel.fdb).isEmpty();
    }

    @Test
    void aPeerThatMovesToANewVtepLeavesNoFdbEntryBehind() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease before = lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02");
        peers.handle(List.of(new LeaseEvent.Added(before)));
        peers.handle(List.of(new LeaseEvent.Changed(before, lease("10.5.2.0/24", "192.168.1.5", "0a:00:00:00:00:05"))));
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("192.168.1.5")));
    }

    @Test
    void recheckRestoresWhatSomeoneFlushed() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02")),
                new LeaseEvent.Added(lease("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03"))));
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
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02"))));
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
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02")),
                new LeaseEvent.Added(lease("10.5.3.0/24", "172.16.0.3", "0a:00:00:00:00:03"))));
        assertThat(kernel.routes).extracting(r -> r.ip4Destination() + " via " + r.ip4Gateway() + " dev " + r.outputIndex())
                .containsExactlyInAnyOrder("10.5.2.0/24 via 192.168.1.2 dev 2", "10.5.3.0/24 via 10.5.3.0 dev 9");
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("172.16.0.3")));
    }

    @Test
    void staleEntriesOfAnEarlierRunGoWithTheFirstBatch() {
        PeerReconciler<VxlanPeer> first = reconciler(List.of());
        first.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "192.168.1.2", "0a:00:00:00:00:02")),
                new LeaseEvent.Added(lease("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03"))));
        PeerReconciler<VxlanPeer> restarted = reconciler(List.of());
        restarted.handle(List.of(new LeaseEvent.Added(lease("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03"))));
        assertThat(kernel.routes).extracting(r -> r.ip4Destination().toString()).containsExactly("10.5.3.0/24");
        assertThat(kernel.neighbours).hasSize(1);
        assertThat(kernel.fdb).singleElement().satisfies(f -> assertThat(f.destination()).isEqualTo(Ip4.parse("192.168.1.3")));
    }
}
