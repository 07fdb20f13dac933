package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.firewall.RuleScope;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/** Which dual-stack set-ups the agent runs and which it refuses, and what its firewall rules are for. */
class DualStackTest {

    /** --ip-masq and the forward rules on, no data path (so no sysctl is read). */
    private static final AgentOptions OPTIONS = new AgentOptions(Optional.empty(), Path.of("/nonexistent/leases"), Optional.empty(),
            List.of(), List.of(), Optional.empty(), Path.of("/nonexistent/subnet.env"), null, null, true, "127.0.0.1", 0,
            Path.of("/nonexistent/data"), Duration.ofSeconds(1), true, null, false, true);

    private static NetworkConfig dualStack(String backend) {
        return NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"" + backend + "\"}}");
    }

    @Test
    void vxlanAndHostGwRunDualStackWithIpMasqAndForwardRules() {
        assertThatCode(() -> DualStack.refuseUnsupported(dualStack("vxlan"), OPTIONS)).doesNotThrowAnyException();
        assertThatCode(() -> DualStack.refuseUnsupported(dualStack("host-gw"), OPTIONS)).doesNotThrowAnyException();
    }

    @Test
    void wireguardRunsDualStackInEveryModeAndModeIpv6WithoutIpv6IsRefusedSayingWhy() {
        for (String mode : new String[] {"separate", "auto", "ipv4", "ipv6"}) {
            NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                    + "\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"" + mode + "\"}}");
            assertThatCode(() -> DualStack.refuseUnsupported(c, OPTIONS)).as(mode).doesNotThrowAnyException();
        }
        NetworkConfig ipv6NoIpv6 = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"ipv6\"}}");
        assertThatThrownBy(() -> DualStack.refuseUnsupported(ipv6NoIpv6, OPTIONS))
                .isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("wireguard Backend.Mode \"ipv6\" reaches peers at their PublicIPv6, which hosts publish only with EnableIPv6")
                .hasMessageContaining("set EnableIPv6 and IPv6Network, or use Mode \"separate\"");
        NetworkConfig ipv4Only = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"auto\"}}");
        assertThatCode(() -> DualStack.refuseUnsupported(ipv4Only, OPTIONS)).as("without IPv6 auto is the IPv4 device").doesNotThrowAnyException();
    }

    @Test
    void udpIsRefusedWithIpv6AsInFlannelAndTheMessageSaysWhatToUse() {
        assertThatThrownBy(() -> DualStack.refuseUnsupported(dualStack("udp"), OPTIONS))
                .isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("EnableIPv6 with the udp backend is not supported by javaoverlay")
                .hasMessageContaining("udp is IPv4 only, as in flannel")
                .hasMessageContaining("use vxlan or host-gw, or set EnableIPv6 to false");
    }

    @Test
    void theRuleScopeHasTheIpv6HalfOnlyWithADualStackLease() {
        NetworkConfig c = dualStack("vxlan");
        LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.168.1.5"), Optional.of("vxlan"), Optional.empty());
        Lease dual = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.of(Ip6Net.parse("fc00:5:0:34::/64")), attrs, false, Optional.empty(), 1);
        assertThat(DualStack.ruleScope(c, dual)).isEqualTo(RuleScope.dualStack(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.52.0/24"),
                Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:34::/64")));
        Lease v4 = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.empty(), attrs, false, Optional.empty(), 1);
        assertThat(DualStack.ruleScope(c, v4).hasIpv6()).isFalse();
        NetworkConfig ipv4Only = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        assertThat(DualStack.ruleScope(ipv4Only, dual).hasIpv6()).as("IPv6 off: the lease's IPv6 half is not used").isFalse();
    }

    private static NetworkConfig ipv6Only(String backend) {
        return NetworkConfig.parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"" + backend + "\"}}");
    }

    @Test
    void anIpv6OnlyNetworkIsRefusedWithEtcdOrTheEmbeddedStorePointingToTheKubeSubnetManager() {
        for (String backend : List.of("vxlan", "host-gw")) {
            assertThatThrownBy(() -> DualStack.refuseUnsupported(ipv6Only(backend), OPTIONS)).as(backend)
                    .isInstanceOf(NetworkConfigException.class)
                    .hasMessageContaining("flannel's etcd subnet manager gives every host an IPv4 subnet too, so it does not do IPv6-only")
                    .hasMessageContaining("--kube-subnet-mgr");
        }
    }

    @Test
    void anIpv6OnlyNetworkRunsWithTheKubeSubnetManagerOverVxlanAndHostGw() {
        assertThatCode(() -> DualStack.refuseUnsupported(ipv6Only("vxlan"), OPTIONS, true)).doesNotThrowAnyException();
        assertThatCode(() -> DualStack.refuseUnsupported(ipv6Only("host-gw"), OPTIONS, true)).doesNotThrowAnyException();
    }

    @Test
    void anIpv6OnlyNetworkRefusesUdpAsFlannelDoesAndRunsWireguardWithFlannelWgV6Alone() {
        assertThatThrownBy(() -> DualStack.refuseUnsupported(ipv6Only("udp"), OPTIONS, true)).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("cannot run the udp backend: it carries IPv4 packets only, as in flannel")
                .hasMessageContaining("vxlan");
        assertThatCode(() -> DualStack.refuseUnsupported(ipv6Only("wireguard"), OPTIONS, true)).doesNotThrowAnyException();
        NetworkConfig auto = NetworkConfig.parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"auto\"}}");
        assertThatThrownBy(() -> DualStack.refuseUnsupported(auto, OPTIONS, true)).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("runs wireguard with Mode \"separate\"").hasMessageContaining("Mode \"auto\" is not run IPv6-only");
    }

    @Test
    void anIpv6OnlyLeaseGetsIp6tablesRulesAlone() {
        Ip6Net lease6 = Ip6Net.parse("fc00:5:0:7::/64");
        Lease l = Lease.ipv6Only(lease6, LeaseAttrs.ipv6Only("fd00::7", Optional.of("vxlan"), Optional.empty()), false, Optional.empty(), 0);
        RuleScope scope = DualStack.ruleScope(ipv6Only("vxlan"), l);
        assertThat(scope.hasIpv4()).isFalse();
        assertThat(scope.ipv6Network()).contains(Ip6Net.parse("fc00:5::/48"));
        assertThat(scope.ipv6Lease()).contains(lease6);
        assertThatThrownBy(scope::network).isInstanceOf(IllegalStateException.class);
    }
}
