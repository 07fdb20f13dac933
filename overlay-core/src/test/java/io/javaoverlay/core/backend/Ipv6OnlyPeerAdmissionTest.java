package io.javaoverlay.core.backend;

import static io.javaoverlay.core.backend.PeerAdmissionTest.host;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.metrics.MetricsExposition;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Leases without the family a network runs are refused at the trust boundary; an IPv6-only network
 * passes leases on by their IPv6 halves only.
 */
class Ipv6OnlyPeerAdmissionTest {

    static final NetworkConfig V6ONLY = NetworkConfig.parse(
            "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final Ip6Net OWN6 = Ip6Net.parse("fc00:5:0:a2::/64");

    /** An IPv6-only lease as flannel's kube manager reads a node then: PublicIP is its zero value. */
    static Lease v6only(String subnet6, String publicIpv6, String key) {
        var data = JsonNodeFactory.instance.objectNode().put("Key", key);
        LeaseAttrs attrs = new LeaseAttrs(Ip4.parse("0.0.0.0"), Optional.ofNullable(publicIpv6), Optional.of("vxlan"), Optional.of(data),
                Optional.of(data));
        return Lease.ipv6Only(Ip6Net.parse(subnet6), attrs, false, Optional.empty(), 1);
    }

    static PeerAdmission ipv6OnlyAdmission(OverlayMetrics metrics) {
        return PeerAdmission.ipv6Only(V6ONLY, OWN6, "fd00::2", new PeerAdmissionTest.FakeBackend(), true, metrics);
    }

    static String scrape(OverlayMetrics m) {
        return new String(MetricsExposition.scrape(m), UTF_8);
    }

    @Test
    void anIpv6OnlyLeaseInANetworkWithIpv4IsRefusedAndCounted() {
        OverlayMetrics metrics = new OverlayMetrics();
        PeerAdmission a = new PeerAdmission(Ipv6PeerAdmissionTest.DUAL, PeerAdmissionTest.OWN, PeerAdmissionTest.OWN_IP,
                Optional.of(Ipv6PeerAdmissionTest.OWN6), Optional.of("fd00::2"), new PeerAdmissionTest.FakeBackend(), true, metrics);
        Lease bad = v6only("fc00:5:0:5::/64", "fd00::5", "m5");
        Lease good = Ipv6PeerAdmissionTest.dual("10.244.6.0/24", "fc00:5:0:6::/64", "fd00::6", "m6");
        assertThat(a.admit(List.of(new LeaseEvent.Added(bad), new LeaseEvent.Added(good)), host()))
                .as("the good one is not held up").extracting(LeaseEvent::lease).containsExactly(good);
        assertThat(a.rejected()).singleElement().satisfies(r -> {
            assertThat(r.lease()).isEqualTo(bad);
            assertThat(r.why().reason().label()).isEqualTo("no-ipv4-subnet");
            assertThat(r.why().detail()).contains("IPv6-only lease (fc00:5:0:5::/64)").contains("runs IPv4");
        });
        assertThat(scrape(metrics)).contains("javaoverlay_leases_rejected_total{reason=\"no-ipv4-subnet\"} 1.0");
        // its removal is no event: nothing of it was programmed
        assertThat(a.admit(List.of(new LeaseEvent.Removed(bad)), host())).isEmpty();
        assertThat(a.rejected()).isEmpty();
    }

    @Test
    void anIpv6OnlyLeaseInAnIpv4OnlyNetworkIsRefusedToo() {
        PeerAdmission a = PeerAdmissionTest.admission();
        assertThat(a.admit(List.of(new LeaseEvent.Added(v6only("fc00:5:0:5::/64", "fd00::5", "m5"))), host())).isEmpty();
        assertThat(a.rejected()).singleElement().satisfies(r -> assertThat(r.why().reason().label()).isEqualTo("no-ipv4-subnet"));
    }

    @Test
    void anIpv6OnlyNetworkProgramsIpv6OnlyLeasesAndTheIpv6HalvesOfDualStackOnes() {
        OverlayMetrics metrics = new OverlayMetrics();
        PeerAdmission a = ipv6OnlyAdmission(metrics);
        Lease v6 = v6only("fc00:5:0:5::/64", "fd00::5", "m5");
        Lease dual = Ipv6PeerAdmissionTest.dual("10.244.6.0/24", "fc00:5:0:6::/64", "fd00::6", "m6");
        Lease v4only = PeerAdmissionTest.lease("10.244.7.0/24", "192.168.213.7", "m7");
        List<LeaseEvent> out = a.admit(List.of(new LeaseEvent.Added(v6), new LeaseEvent.Added(dual), new LeaseEvent.Added(v4only)), host());
        assertThat(out).extracting(LeaseEvent::lease).containsExactly(v6, dual.ipv6Half());
        assertThat(out).extracting(LeaseEvent::lease).allSatisfy(l -> assertThat(l.ipv4Subnet()).as("no IPv4 half reaches a backend").isEmpty());
        assertThat(a.programmed()).containsOnlyKeys(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:5::/64")),
                LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:6::/64")));
        assertThat(a.accepted()).as("none is named by an IPv4 subnet").isEmpty();
        assertThat(a.rejected()).singleElement().satisfies(r -> {
            assertThat(r.lease()).isEqualTo(v4only);
            assertThat(r.why().reason().label()).isEqualTo("no-ipv6-subnet");
            assertThat(r.why().detail()).contains("IPv6-only (EnableIPv4: false)");
        });
        assertThat(scrape(metrics)).contains("javaoverlay_leases_rejected_total{reason=\"no-ipv6-subnet\"} 1.0");

        // the dual-stack lease goes: its IPv6 half is withdrawn
        assertThat(a.admit(List.of(new LeaseEvent.Removed(dual)), host())).containsExactly(new LeaseEvent.Removed(dual.ipv6Half()));
        assertThat(a.programmed()).containsOnlyKeys(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:5::/64")));
    }

    @Test
    void theIpv6ChecksApplyToIpv6OnlyLeases() {
        PeerAdmission a = ipv6OnlyAdmission(new OverlayMetrics());
        Lease own = v6only("fc00:5:0:a2::/64", "fd00::5", "m1");
        Lease outside = v6only("fc00:6:0:5::/64", "fd00::6", "m2");
        Lease noPublic = v6only("fc00:5:0:7::/64", null, "m3");
        Lease ownIp = v6only("fc00:5:0:8::/64", "fd00::2", "m4");
        Lease good = v6only("fc00:5:0:9::/64", "fd00::9", "m5");
        Lease taken = v6only("fc00:5:0:9::/64", "fd00::10", "m6");
        assertThat(a.admit(List.of(new LeaseEvent.Added(own), new LeaseEvent.Added(outside), new LeaseEvent.Added(noPublic),
                new LeaseEvent.Added(ownIp), new LeaseEvent.Added(good)), host()))
                .extracting(LeaseEvent::lease).containsExactly(good);
        assertThat(a.rejected()).extracting(r -> r.lease().ipv6Subnet().get() + " " + r.why().reason().label()).containsExactly(
                "fc00:5:0:7::/64 bad-public-ip", "fc00:5:0:8::/64 own-public-ip", "fc00:5:0:a2::/64 overlaps-own-subnet",
                "fc00:6:0:5::/64 outside-network");
        // one subnet, one lease: a second holder of the same IPv6 subnet replaces the first, as a key rewritten does
        assertThat(a.admit(List.of(new LeaseEvent.Changed(good, taken)), host())).containsExactly(new LeaseEvent.Changed(good, taken));
    }

    @Test
    void anIpv6OnlyAdmissionNeedsAnIpv6OnlyNetwork() {
        assertThatThrownBy(() -> PeerAdmission.ipv6Only(Ipv6PeerAdmissionTest.DUAL, OWN6, "fd00::2", new PeerAdmissionTest.FakeBackend(), true,
                new OverlayMetrics())).isInstanceOf(IllegalArgumentException.class);
    }
}
