package io.javaoverlay.cli;

import static io.javaoverlay.cli.WireguardHosts.DEV;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * flannel's wireguard {@code "Mode": "ipv4"} with EnableIPv6 on three dual-stack hosts: one
 * {@code flannel-wg} carries both families, each peer with both subnets as AllowedIPs at
 * {@code PublicIP:51820}; IPv6 overlay traffic crosses the IPv4 underlay, and nothing else does.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackWireguardIpv4ModeIT {

    static final String NETWORK6 = "fc00:c::/48";

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.dualStackMode("ipv4", NETWORK6);

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    @Test
    void everyPeerHasBothSubnetsAtItsPublicIpAndIpv6CrossesTheIpv4Underlay() throws Throwable {
        hosts.bringUp(1, 2, 3);
        for (int n = 1; n <= 3; n++) {
            assertThat(cluster.host(n).exec("ip", "link", "show", "flannel-wg-v6").ok()).isFalse();
            WireguardHosts.awaitPeersWithBothSubnets(cluster, n, DEV, peer -> cluster.host(peer).underlayIp() + ":51820");
        }
        List<String> lines = WireguardHosts.ipPackets(WireguardHosts.underlayDuring(cluster.host(1), "tcpdump-underlay-mode4", List.of("udp"),
                hosts::containersOfHost1PingTheOthersOverBothFamilies));
        assertThat(lines).as("UDP on the underlay: WireGuard between the IPv4 addresses only").isNotEmpty()
                .allMatch(l -> l.matches(".* IP [\\d.]+\\.51820 > [\\d.]+\\.51820: UDP.*"));
    }
}
