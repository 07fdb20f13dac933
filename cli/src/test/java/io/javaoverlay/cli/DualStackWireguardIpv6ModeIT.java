package io.javaoverlay.cli;

import static io.javaoverlay.cli.WireguardHosts.DEV;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;

/**
 * flannel's one-device wireguard mode {@code "Mode": "ipv6"} with EnableIPv6 across three namespace
 * hosts on a dual-stack underlay (wireguard-go, real etcd): one {@code flannel-wg} per host carries
 * both families, each peer with its IPv4 and IPv6 subnets as AllowedIPs at {@code [PublicIPv6]:51820};
 * the lease is flannel's value; containers ping over both families, and the underlay carries
 * WireGuard over IPv6 only.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackWireguardIpv6ModeIT {

    static final String NETWORK6 = "fc00:a::/48";

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.dualStackMode("ipv6", NETWORK6);

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    static List<String[]> dump(int n) {
        return WireguardHosts.dump(cluster, n, DEV);
    }

    @Test
    @Order(1)
    void theLeaseIsFlannelsAndOneFlannelWgCarriesBothFamiliesWithPeersAtTheirPublicIpv6() throws Exception {
        hosts.bringUp(1, 2, 3);
        for (int n = 1; n <= 3; n++) {
            TestHost h = cluster.host(n);
            // flannel v0.28 writes ListenPortV6 in BackendV6Data in this mode too
            assertThat(hosts.leaseValue(n)).isEqualTo(WireguardHosts.dualStackLease(cluster, n));
            assertThat(h.exec("ip", "link", "show", "flannel-wg-v6").ok()).as("no second device in a one-device mode").isFalse();
            assertThat(h.ip("-4", "addr", "show", "dev", DEV)).contains("inet " + cluster.subnet(n).address() + "/32");
            assertThat(h.ip("-6", "addr", "show", "dev", DEV)).contains("inet6 " + Ip6Net.format(cluster.lease6(n).address()) + "/128");
            assertThat(h.ip("route", "show", OverlayCluster.NETWORK)).contains(OverlayCluster.NETWORK + " dev " + DEV + " proto 74");
            assertThat(h.ip("-6", "route", "show", NETWORK6)).contains(NETWORK6 + " dev " + DEV + " proto 74");
            WireguardHosts.awaitPeersWithBothSubnets(cluster, n, DEV, peer -> "[" + DualStackHosts.underlay6(peer) + "]:51820");
            assertThat(dump(n).get(0)[2]).as("the listen port").isEqualTo("51820");
        }
    }

    @Test
    @Order(2)
    void containersPingOverBothFamiliesAndTheUnderlayCarriesWireguardOverIpv6Only() throws Throwable {
        List<String> lines = WireguardHosts.ipPackets(WireguardHosts.underlayDuring(cluster.host(1), "tcpdump-underlay-mode6", List.of(),
                hosts::everyHostsContainersPingTheOthersOverBothFamilies));
        String wireguard6 = ".* IP6 fd00:e2e::\\d+\\.51820 > fd00:e2e::\\d+\\.51820: UDP.*";
        assertThat(lines.stream().filter(l -> l.matches(wireguard6)).count()).as("WireGuard over the IPv6 underlay").isGreaterThanOrEqualTo(16);
        List<String> other = lines.stream().filter(l -> !l.matches(wireguard6)).filter(l -> !l.matches(".*\\.2379[ :].*"))
                .filter(l -> !l.matches(".* IP6 (fd00:e2e::|fe80::)[0-9a-f:]* > [0-9a-f:]+: ICMP6, (neighbor (solicitation|advertisement)|router solicitation|multicast listener report).*"))
                .toList();
        assertThat(other).as("anything but WireGuard between IPv6 underlay addresses, etcd and neighbour discovery (no WireGuard over IPv4)")
                .isEmpty();
    }

    @Test
    @Order(3)
    void aStopLeavesNoDeviceAndARepairRestoresBothRoutes() {
        TestHost h1 = cluster.host(1);
        h1.ip("-6", "route", "del", NETWORK6, "dev", DEV);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !h1.ip("-6", "route", "show", NETWORK6).isBlank());
        assertThat(cluster.agent(1).log()).contains("the route to " + NETWORK6 + " via flannel-wg is missing; restoring it");
        assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 5)).isTrue();

        assertThat(cluster.agent(3).stop()).isZero();
        assertThat(cluster.host(3).exec("ip", "link", "show", DEV).ok()).isFalse();
        assertThat(cluster.host(3).ip("-6", "route", "show", NETWORK6)).isBlank();
        List<String> ends = new ArrayList<>();
        for (String[] p : dump(1)) {
            ends.add(p.length > 2 ? p[2] : "");
        }
        assertThat(ends).as("host 1 keeps host 3 as a peer: its lease stays").contains("[" + DualStackHosts.underlay6(3) + "]:51820");
    }
}
