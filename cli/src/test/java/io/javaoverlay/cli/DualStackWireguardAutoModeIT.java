package io.javaoverlay.cli;

import static io.javaoverlay.cli.WireguardHosts.DEV;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.TestHost;

/**
 * flannel's wireguard {@code "Mode": "auto"} with EnableIPv6, where its {@code selectMode} picks
 * the IPv6 underlay: the hosts' IPv4 underlay addresses are private (RFC 1918) and each publishes
 * a global IPv6 address ({@code --public-ipv6 2001:db8:e2e::<n>}, outside {@code fc00::/7}), so
 * every peer is dialled at {@code [PublicIPv6]:51820}; containers ping over both families.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackWireguardAutoModeIT {

    static final String NETWORK6 = "fc00:b::/48";

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.dualStackMode("auto", NETWORK6)
            .withHostAgentArgs(n -> List.of("--public-ipv6", global6(n)));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    /** A global (not RFC 4193) IPv6 underlay address of host {@code n}, beside its fd00:e2e:: one. */
    static String global6(int n) {
        return "2001:db8:e2e::" + n;
    }

    static List<String[]> dump(int n) {
        return WireguardHosts.dump(cluster, n, DEV);
    }

    @Test
    @Order(1)
    void autoDialsEveryPeerAtItsGlobalPublicIpv6() {
        for (int n = 1; n <= 3; n++) {
            TestHost h = cluster.host(n);
            h.ip("-6", "addr", "add", global6(n) + "/64", "dev", h.underlayInterface(), "nodad");
            hosts.bringUp(n);
        }
        for (int n = 1; n <= 3; n++) {
            assertThat(hosts.leaseValue(n)).contains("\"PublicIPv6\":\"" + global6(n) + "\"");
            assertThat(cluster.host(n).exec("ip", "link", "show", "flannel-wg-v6").ok()).isFalse();
            int self = n;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                Set<String> endpoints = new TreeSet<>();
                dump(self).stream().skip(1).forEach(p -> endpoints.add(p[2]));
                Set<String> want = new TreeSet<>();
                for (int peer = 1; peer <= 3; peer++) {
                    if (peer != self) {
                        want.add("[" + global6(peer) + "]:51820");
                    }
                }
                assertThat(endpoints).as("host %d's peers' endpoints", self).isEqualTo(want);
            });
        }
    }

    @Test
    @Order(2)
    void containersPingOverBothFamiliesThroughWireguardOverTheGlobalIpv6Underlay() throws Throwable {
        List<String> lines = WireguardHosts.ipPackets(WireguardHosts.underlayDuring(cluster.host(1), "tcpdump-underlay-auto", List.of("udp"),
                hosts::containersOfHost1PingTheOthersOverBothFamilies));
        String wireguard = ".* IP6 2001:db8:e2e::\\d+\\.51820 > 2001:db8:e2e::\\d+\\.51820: UDP.*";
        assertThat(lines).as("UDP on the underlay").isNotEmpty().allMatch(l -> l.matches(wireguard));
    }
}
