package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * flannel's wireguard {@code "Mode": "ipv4"} with EnableIPv6 on three dual-stack hosts: one
 * {@code flannel-wg} carries both families, each peer with both subnets as AllowedIPs at
 * {@code PublicIP:51820}; IPv6 overlay traffic crosses the IPv4 underlay, and nothing else does.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackWireguardIpv4ModeIT {

    static final String NETWORK6 = "fc00:c::/48";
    static final String DEV = "flannel-wg";
    private static final boolean RUN_WIREGUARD_EXISTED = Files.exists(WireguardHosts.RUN_WIREGUARD);

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.of("{\"Type\":\"wireguard\",\"Mode\":\"ipv4\"}", 3, 0)
            .withConfig(",\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6 + "\""));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    @AfterAll
    static void removeMountPoint() throws IOException {
        WireguardHosts.removeMountPoint(RUN_WIREGUARD_EXISTED);
    }

    static List<String[]> dump(int n) {
        ExecResult r = Exec.run(List.of("nsenter", "-t", Long.toString(cluster.agent(n).pid()), "-m", "-n", "wg", "show", DEV, "dump"),
                Map.of(), null, Duration.ofSeconds(20));
        return r.ok() ? r.stdout().lines().map(l -> l.split("\t")).toList() : List.of();
    }

    @Test
    void everyPeerHasBothSubnetsAtItsPublicIpAndIpv6CrossesTheIpv4Underlay() throws Exception {
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
                                cluster.subnetEnv(peer).ipv6Lease().orElseThrow().toString())));
                    }
                }
                assertThat(peers).isEqualTo(want);
            });
        }
        TestHost h1 = cluster.host(1);
        TestProcess dump = h1.start("tcpdump-underlay-mode4", "tcpdump", "-i", h1.underlayInterface(), "-nn", "-l", "-U", "udp");
        await().atMost(Duration.ofSeconds(10)).until(() -> dump.log().contains("listening on"));
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> cluster.container(1, 1)
                .exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", hosts.containerIp6(2, 1)).ok());
        for (int to = 2; to <= 3; to++) {
            assertThat(cluster.container(1, 1).ping(hosts.containerIp6(to, 1), 5)).as("ping -6 host 1 -> host %d", to).isTrue();
            assertThat(cluster.container(1, 2).ping(cluster.containerIp(to, 2).toString(), 5)).as("ping -4 host 1 -> host %d", to).isTrue();
        }
        Thread.sleep(300);
        dump.stop();
        List<String> lines = dump.log().lines().filter(l -> l.contains(" IP ") || l.contains(" IP6 ")).toList();
        assertThat(lines).as("UDP on the underlay: WireGuard between the IPv4 addresses only").isNotEmpty()
                .allMatch(l -> l.matches(".* IP [\\d.]+\\.51820 > [\\d.]+\\.51820: UDP.*"));
    }
}
