package io.javaoverlay.core.backend.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.FakeKernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.VxlanInfo;

/**
 * vxlan's IPv6 half, {@code flannel-v6.<VNI>}, on in-memory tables: a dual-stack lease's IPv6
 * subnet, PublicIPv6 and BackendV6Data give one neighbour, one FDB entry and one onlink route, as
 * flannel's {@code vxlan_network.go} programs them.
 */
class Vxlan6PathsTest {

    private static final int EXT = 2;
    private static final ExternalInterface EXTERNAL = FakeKernelTables.eth0(EXT);
    private static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\": \"10.5.0.0/16\", \"EnableIPv6\": true,"
            + " \"IPv6Network\": \"fc00:5::/48\", \"Backend\": {\"Type\": \"vxlan\"}}");

    private final FakeKernelTables kernel = new FakeKernelTables();
    private final AtomicInteger device = new AtomicInteger(11);

    private PeerReconciler<VxlanPeer> reconciler(List<Ip6Net> directNetworks) {
        return new PeerReconciler<>(new VxlanPaths(kernel, device::get, EXTERNAL, VxlanFamily.ipv6(CONFIG.ipv6().get(), directNetworks,
                () -> Optional.of(Ip6Net.parse("fc00:5:0:1::/64")))));
    }

    /** A dual-stack vxlan lease value as flannel writes it (fields in its Go struct's order). */
    static Lease lease(String subnet, String subnet6, String publicIpv6, String mac6) {
        String json = "{\"PublicIP\":\"192.168.1." + subnet.split("\\.")[2] + "\",\"PublicIPv6\":\"" + publicIpv6
                + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:99\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}}";
        return new Lease(Ip4Net.parse(subnet), Optional.of(Ip6Net.parse(subnet6)), LeaseAttrs.parse(json), false, Optional.empty(), 1);
    }

    @Test
    void aDualStackPeerGetsAnIpv6NeighbourThenFdbEntryThenOnlinkRouteAndLosesTheRouteFirst() throws Exception {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease two = lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02");
        peers.handle(List.of(new LeaseEvent.Added(two)));
        assertThat(kernel.writes).containsExactly("replace neighbour fc00:5:0:2:0:0:0:0", "replace fdb 0a:00:00:00:06:02 fd00:e2e:0:0:0:0:0:2",
                "replace route fc00:5:0:2::/64");
        Route r = kernel.routes6().get(0);
        assertThat(r.outputIndex()).isEqualTo(11);
        assertThat(r.gateway()).isEqualTo(InetAddress.getByName("fc00:5:0:2::"));
        assertThat(r.onlink()).isTrue();
        assertThat(r.protocol()).isEqualTo(Route.PROTOCOL_JAVAOVERLAY);
        assertThat(kernel.neighbours6(11)).singleElement().satisfies(n -> assertThat(n.mac()).isEqualTo(MacAddress.parse("0a:00:00:00:06:02")));
        assertThat(kernel.fdb).singleElement().satisfies(f -> {
            assertThat(f.destination()).isNull();
            assertThat(f.destination6()).isEqualTo(InetAddress.getByName("fd00:e2e::2"));
        });

        VxlanPathsTestLeases.removeLeavesNothing(peers, kernel, two, "delete route fc00:5:0:2::/64", "delete neighbour fc00:5:0:2:0:0:0:0",
                "delete fdb 0a:00:00:00:06:02 fd00:e2e:0:0:0:0:0:2");
    }

    @Test
    void anIpv4OnlyPeerHasNoIpv6Path() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease v4 = VxlanPathsTestLeases.ipv4("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03");
        peers.handle(List.of(new LeaseEvent.Added(v4)));
        assertThat(kernel.writes).isEmpty();
        assertThat(peers.wanted()).isEmpty();
    }

    @Test
    void deletedIpv6EntriesAreRestoredAtTheRecheck() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02"))));
        kernel.neighbours.clear();
        peers.recheck();
        assertThat(kernel.neighbours6(11)).hasSize(1);
        kernel.routes.clear();
        peers.recheck();
        assertThat(kernel.routes6()).hasSize(1);
        kernel.fdb.clear();
        peers.recheck();
        assertThat(kernel.fdb).hasSize(1);
    }

    @Test
    void aMovedIpv6HalfTakesItsOldRouteAndNeighbourAlong() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02"))));
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:9::/64", "fd00:e2e::2", "0a:00:00:00:06:02"))));
        assertThat(kernel.routes6()).singleElement().satisfies(r -> assertThat(r.toString()).startsWith("fc00:5:0:9:0:0:0:0/64"));
        assertThat(kernel.neighbours6(11)).singleElement().satisfies(n -> assertThat(n.address().getHostAddress()).isEqualTo("fc00:5:0:9:0:0:0:0"));
        assertThat(kernel.fdb).hasSize(1);
    }

    @Test
    void aPeerOnTheSameIpv6NetworkIsRoutedDirectlyWithDirectRouting() {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of(Ip6Net.parse("fd00:e2e::/64")));
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02"))));
        assertThat(kernel.writes).containsExactly("replace route fc00:5:0:2::/64");
        assertThat(kernel.routes6()).singleElement().satisfies(r -> {
            assertThat(r.outputIndex()).isEqualTo(EXT);
            assertThat(r.gateway().getHostAddress()).isEqualTo("fd00:e2e:0:0:0:0:0:2");
        });
    }

    @Test
    void whatAnEarlierRunLeftForGoneIpv6SubnetsIsRemovedAndTheOwnSubnetAndOthersStay() throws Exception {
        Inet6Address gw = (Inet6Address) InetAddress.getByName("fc00:5:0:7::");
        kernel.routes.add(Route.to(InetAddress.getByName("fc00:5:0:7::"), 64).via(gw).device(11).withOnlink());
        kernel.routes.add(Route.to(InetAddress.getByName("fd99::"), 64).via(InetAddress.getByName("fd00:e2e::9")).device(EXT));
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        peers.handle(List.of(new LeaseEvent.Added(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02"))));
        assertThat(kernel.routes6()).extracting(r -> r.destination().getHostAddress())
                .containsExactlyInAnyOrder("fc00:5:0:2:0:0:0:0", "fd99:0:0:0:0:0:0:0");
    }

    @Test
    void theIpv6HalfIsReadAsFlannelWritesItAndABadOneSaysWhy() {
        VxlanPeer.Result r = VxlanPeer.from6(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02"));
        assertThat(r.problem()).isNull();
        assertThat(r.peer().destination()).isEqualTo("fc00:5:0:2::/64");
        assertThat(r.peer().lease()).isEqualTo(LeaseId.of(Ip4Net.parse("10.5.2.0/24")));
        assertThat(r.peer().publicIp().getHostAddress()).isEqualTo("fd00:e2e:0:0:0:0:0:2");

        Lease noV6Data = new Lease(Ip4Net.parse("10.5.2.0/24"), Optional.of(Ip6Net.parse("fc00:5:0:2::/64")), LeaseAttrs.parse(
                "{\"PublicIP\":\"192.168.1.2\",\"PublicIPv6\":\"fd00:e2e::2\",\"BackendType\":\"vxlan\","
                        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:02\"}}"), false, Optional.empty(), 1);
        assertThat(VxlanPeer.from6(noV6Data).problem().reason()).isEqualTo(PeerRejection.Reason.BAD_BACKEND_DATA);
        assertThat(VxlanPeer.from6(noV6Data).problem().detail()).contains("BackendV6Data has no VtepMAC");
        assertThat(VxlanPeer.from6(lease("10.5.2.0/24", "fc00:5:0:2::/64", "fd00:e2e::2", "ff:ff:ff:ff:ff:ff")).problem().reason())
                .isEqualTo(PeerRejection.Reason.BAD_VTEP_MAC);
        assertThat(VxlanPeer.from6(VxlanPathsTestLeases.ipv4("10.5.3.0/24", "192.168.1.3", "0a:00:00:00:00:03")))
                .isEqualTo(VxlanPeer.Result.none());
    }

    @Test
    void theIpv6DeviceIsKeptOnlyWithItsOwnIpv6SourceAddress() throws Exception {
        Inet6Address local = (Inet6Address) InetAddress.getByName("fd00:e2e::1");
        VxlanInfo wanted = VxlanInfo.ofIpv6(1, local, 2, 8472);
        VxlanDevice dev = new VxlanDevice("flannel-v6.1", wanted, MacAddress.parse("0a:00:00:00:06:01"), 1430);
        assertThat(dev.incompatibility(link(wanted))).isEmpty();
        assertThat(dev.incompatibility(link(VxlanInfo.ofIpv6(1, (Inet6Address) InetAddress.getByName("fd00:e2e::9"), 2, 8472))))
                .hasValueSatisfying(s -> assertThat(s).contains("local address fd00:e2e:0:0:0:0:0:9 instead of fd00:e2e:0:0:0:0:0:1"));
        assertThat(dev.incompatibility(link(VxlanInfo.of(1, Ip4.parse("192.168.1.1"), 2, 8472))))
                .hasValueSatisfying(s -> assertThat(s).contains("local address 192.168.1.1 instead of fd00:e2e:0:0:0:0:0:1"));
    }

    private static Link link(VxlanInfo info) {
        return new Link(8, "flannel-v6.1", "vxlan", 1, 1430, MacAddress.parse("0a:00:00:00:06:01"), 0, 2, false, info);
    }

    /** An IPv6-only vxlan lease as flannel's kube manager reads it: the IPv6 half alone (PublicIP its zero address). */
    static Lease ipv6OnlyLease(String subnet6, String publicIpv6, String mac6) {
        return Lease.ipv6Only(Ip6Net.parse(subnet6), LeaseAttrs.parse("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"" + publicIpv6
                + "\",\"BackendType\":\"vxlan\",\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}}"), false, Optional.empty(), 1);
    }

    @Test
    void ipv6OnlyPeersAreProgrammedAndRemovedByTheirIpv6SubnetWithNothingIpv4() throws Exception {
        PeerReconciler<VxlanPeer> peers = reconciler(List.of());
        Lease two = ipv6OnlyLease("fc00:5:0:2::/64", "fd00:e2e::2", "0a:00:00:00:06:02");
        Lease three = ipv6OnlyLease("fc00:5:0:3::/64", "fd00:e2e::3", "0a:00:00:00:06:03");
        peers.handle(List.of(new LeaseEvent.Added(two), new LeaseEvent.Added(three)));
        assertThat(peers.programmed()).containsOnlyKeys(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:2::/64")),
                LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:3::/64")));
        assertThat(kernel.routes6()).extracting(r -> r.destination().getHostAddress())
                .containsExactlyInAnyOrder("fc00:5:0:2:0:0:0:0", "fc00:5:0:3:0:0:0:0");
        assertThat(kernel.writes).noneMatch(w -> w.contains("10.") || w.contains("192.168.") || w.contains("0.0.0.0"));

        kernel.routes.removeIf(r -> r.destination().getHostAddress().startsWith("fc00:5:0:3:"));
        peers.recheck();
        assertThat(kernel.routes6()).as("a deleted route is put back").hasSize(2);

        kernel.writes.clear();
        peers.handle(List.of(new LeaseEvent.Removed(two)));
        assertThat(kernel.writes).containsExactly("delete route fc00:5:0:2::/64", "delete neighbour fc00:5:0:2:0:0:0:0",
                "delete fdb 0a:00:00:00:06:02 fd00:e2e:0:0:0:0:0:2");
        assertThat(peers.programmed()).containsOnlyKeys(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:3::/64")));
    }
}
