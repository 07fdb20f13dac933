package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
    static final String DEV = "flannel-wg";

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.of("{\"Type\":\"wireguard\",\"Mode\":\"ipv4\"}", 3, 0)
            .withIpv6Network(NETWORK6));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    static List<String[]> dump(int n) {
        return WireguardHosts.dump(cluster, n, DEV);
    }

    @Test
    void everyPeerHasBothSubnetsAtItsPublicIpAndIpv6CrossesTheIpv4Underlay() throws Throwable {
        for (int n = 1; n <= 3; n++) {
            hosts.bringUp(n);
        }
        for (int n = 1; n <= 3; n++) {
            assertThat(cluster.host(n).exec("ip", "link", "show", "flannel-wg-v6").ok()).isFalse();
            int self = n;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                Set<String> peers = new TreeSet<>();
                dump(self).stream().skip(1).forEach(p -> peers.add(p[2] + " " + new TreeSet<>(List.of(p[3].split(",")))));
                Set<String> want = new TreeSet<>();
                for (int peer = 1; peer <= 3; peer++) {
                    if (peer != self) {
                        want.add(cluster.host(peer).underlayIp() + ":51820 " + new TreeSet<>(List.of(cluster.subnet(peer).toString(),
                                cluster.lease6(peer).toString())));
                    }
                }
                assertThat(peers).isEqualTo(want);
            });
        }
        List<String> lines = WireguardHosts.ipPackets(WireguardHosts.underlayDuring(cluster.host(1), "tcpdump-underlay-mode4", List.of("udp"),
                hosts::containersOfHost1PingTheOthersOverBothFamilies));
        assertThat(lines).as("UDP on the underlay: WireGuard between the IPv4 addresses only").isNotEmpty()
                .allMatch(l -> l.matches(".* IP [\\d.]+\\.51820 > [\\d.]+\\.51820: UDP.*"));
    }
}
