package io.javaoverlay.core.backend;

import static io.javaoverlay.core.backend.PeerAdmissionTest.host;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/** The IPv6 half of a dual-stack lease passes the same trust boundary as its IPv4 half. */
class Ipv6PeerAdmissionTest {

    static final NetworkConfig DUAL = NetworkConfig.parse(
            "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final Ip6Net OWN6 = Ip6Net.parse("fc00:5:0:a2::/64");

    static Lease dual(String subnet, String subnet6, String publicIpv6, String key) {
        var data = JsonNodeFactory.instance.objectNode().put("Key", key);
        LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.168.213.9"), Optional.of("vxlan"), Optional.of(data));
        if (publicIpv6 != null) {
            attrs = attrs.withIpv6(publicIpv6, Optional.of(data));
        }
        return new Lease(Ip4Net.parse(subnet), Optional.ofNullable(subnet6).map(Ip6Net::parse), attrs, false, Optional.empty(), 1);
    }

    static PeerAdmission admission(NetworkConfig config, boolean dataPath) {
        return new PeerAdmission(config, PeerAdmissionTest.OWN, PeerAdmissionTest.OWN_IP, Optional.of(OWN6), Optional.of("fd00::2"),
                new PeerAdmissionTest.FakeBackend(), dataPath, new OverlayMetrics());
    }

    @Test
    void aGoodDualStackLeaseAndAnIpv4OnlyPeerPass() {
        PeerAdmission a = admission(DUAL, true);
        Lease good = dual("10.244.5.0/24", "fc00:5:0:5::/64", "fd00::5", "m5");
        Lease v4only = dual("10.244.6.0/24", null, null, "m6");
        assertThat(a.admit(List.of(new LeaseEvent.Added(good), new LeaseEvent.Added(v4only)), host()))
                .extracting(LeaseEvent::lease).containsExactly(good, v4only);
        assertThat(a.rejected()).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(nullValues = "none", value = {
            "10.244.5.0/24, fc00:5:0:5::/80, fd00::5,   wrong-prefix-length, is not a /64",
            "10.244.5.0/24, fc00:6:0:5::/64, fd00::5,   outside-network,     is outside IPv6Network fc00:5::/48",
            "10.244.5.0/24, fc00:5:0:a2::/64, fd00::5,  overlaps-own-subnet, this host's own IPv6 subnet",
            "10.244.5.0/24, fc00:5:0:5::/64, none,      bad-public-ip,       no PublicIPv6",
            "10.244.5.0/24, fc00:5:0:5::/64, ::1,       bad-public-ip,       the loopback address",
            "10.244.5.0/24, fc00:5:0:5::/64, fe80::5,   bad-public-ip,       link-local",
            "10.244.5.0/24, fc00:5:0:5::/64, ff02::1,   bad-public-ip,       multicast",
            "10.244.5.0/24, fc00:5:0:5::/64, ::,        bad-public-ip,       the unspecified address",
            "10.244.5.0/24, fc00:5:0:5::/64, fc00:5::9, bad-public-ip,       inside the overlay IPv6Network",
            "10.244.5.0/24, fc00:5:0:5::/64, fd00::2,   own-public-ip,       this host's own address"})
    void aBadIpv6HalfRejectsTheWholeLease(String subnet, String subnet6, String publicIpv6, String reason, String detail) {
        PeerAdmission a = admission(DUAL, true);
        Lease bad = dual(subnet, subnet6, publicIpv6, "m5");
        assertThat(a.admit(List.of(new LeaseEvent.Added(bad)), host())).isEmpty();
        assertThat(a.rejected()).singleElement().satisfies(r -> {
            assertThat(r.why().reason().label()).isEqualTo(reason);
            assertThat(r.why().detail()).contains(detail);
        });
    }

    @Test
    void anIpv6SubnetIsProgrammedForOneLeaseOnly() {
        PeerAdmission a = admission(DUAL, true);
        Lease first = dual("10.244.5.0/24", "fc00:5:0:5::/64", "fd00::5", "m5");
        Lease copy = dual("10.244.7.0/24", "fc00:5:0:5::/64", "fd00::7", "m7");
        assertThat(a.admit(List.of(new LeaseEvent.Added(first), new LeaseEvent.Added(copy)), host()))
                .extracting(LeaseEvent::lease).containsExactly(first);
        assertThat(a.rejected()).singleElement().satisfies(r -> {
            assertThat(r.lease()).isEqualTo(copy);
            assertThat(r.why().reason()).isEqualTo(PeerRejection.Reason.IPV6_SUBNET_IN_USE);
        });
        // the first one goes: the copy is accepted on the next look
        assertThat(a.admit(List.of(new LeaseEvent.Removed(first)), host()))
                .extracting(LeaseEvent::lease).containsExactly(first, copy);
    }

    @Test
    void withoutIpv6TheIpv6HalfIsNeitherCheckedNorProgrammedAndWithoutADataPathOnlySubnetsAre() {
        Lease odd = dual("10.244.5.0/24", "fc00:9:0:5::/99", "ff02::1", "m5");
        assertThat(admission(PeerAdmissionTest.CONFIG, true).admit(List.of(new LeaseEvent.Added(odd)), host())).hasSize(1);

        PeerAdmission noDataPath = admission(DUAL, false);
        assertThat(noDataPath.admit(List.of(new LeaseEvent.Added(dual("10.244.5.0/24", "fc00:5:0:5::/64", "ff02::1", "m5"))), host()))
                .hasSize(1);
        assertThat(noDataPath.admit(List.of(new LeaseEvent.Added(dual("10.244.6.0/24", "fc00:5:0:6::/80", "fd00::6", "m6"))), host()))
                .isEmpty();
    }
}
