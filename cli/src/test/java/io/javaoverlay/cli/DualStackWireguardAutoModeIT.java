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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

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
    static final String DEV = "flannel-wg";
    private static final boolean RUN_WIREGUARD_EXISTED = Files.exists(WireguardHosts.RUN_WIREGUARD);

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.of("{\"Type\":\"wireguard\",\"Mode\":\"auto\"}", 3, 0)
            .withConfig(",\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6 + "\"")
            .withHostAgentArgs(n -> List.of("--public-ipv6", global6(n))));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    @AfterAll
    static void removeMountPoint() throws IOException {
        WireguardHosts.removeMountPoint(RUN_WIREGUARD_EXISTED);
    }

    /** A global (not RFC 4193) IPv6 underlay address of host {@code n}, beside its fd00:e2e:: one. */
    static String global6(int n) {
        return "2001:db8:e2e::" + n;
    }

    static List<String[]> dump(int n) {
        ExecResult r = Exec.run(List.of("nsenter", "-t", Long.toString(cluster.agent(n).pid()), "-m", "-n", "wg", "show", DEV, "dump"),
                Map.of(), null, Duration.ofSeconds(20));
        return r.ok() ? r.stdout().lines().map(l -> l.split("\t")).toList() : List.of();
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
            String key = OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(n).toKey() + "&"
                    + cluster.subnetEnv(n).ipv6Lease().orElseThrow().toKey();
            assertThat(cluster.etcdctl("get", "--print-value-only", key)).contains("\"PublicIPv6\":\"" + global6(n) + "\"");
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
    void containersPingOverBothFamiliesThroughWireguardOverTheGlobalIpv6Underlay() throws Exception {
        TestHost h1 = cluster.host(1);
        TestProcess dump = h1.start("tcpdump-underlay-auto", "tcpdump", "-i", h1.underlayInterface(), "-nn", "-l", "-U", "udp");
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
        String wireguard = ".* IP6 2001:db8:e2e::\\d+\\.51820 > 2001:db8:e2e::\\d+\\.51820: UDP.*";
        assertThat(lines).as("UDP on the underlay").isNotEmpty().allMatch(l -> l.matches(wireguard));
    }
}
