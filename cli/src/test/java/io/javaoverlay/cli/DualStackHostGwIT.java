package io.javaoverlay.cli;

import static io.javaoverlay.cli.DualStackHosts.underlay6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;

/**
 * Dual-stack host-gw across namespace hosts on a dual-stack underlay ({@code 10.x} and
 * {@code fd00:e2e::<n>/64} on each host's underlay interface) with a real etcd: every host leases
 * an IPv4 and an IPv6 subnet in one flannel key, writes both to subnet.env, and routes the others'
 * IPv6 subnets via their PublicIPv6; containers on each host's bridge ping each other with
 * {@code ping -6} and {@code ping -4}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackHostGwIT {

    static final String NETWORK6 = "fc00:5::/48";

    // DualStackIpMasqIT runs with --ip-masq
    @RegisterExtension
    static final OverlayCluster cluster = DualStackHosts.withoutIpMasq("{\"Type\":\"host-gw\"}", 3, NETWORK6);

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    @Test
    @Order(1)
    void everyHostLeasesBothFamiliesInOneFlannelKeyAndWritesThemToSubnetEnv() {
        hosts.bringUp(1);
        hosts.bringUp(2);
        SubnetEnv e1 = cluster.subnetEnv(1);
        SubnetEnv e2 = cluster.subnetEnv(2);
        for (SubnetEnv e : List.of(e1, e2)) {
            assertThat(e.ipv6Network()).hasValue(NETWORK6);
            assertThat(e.ipv6Lease()).hasValueSatisfying(l -> {
                assertThat(l.prefixLength()).isEqualTo(64);
                assertThat(Ip6Net.parse(NETWORK6).contains(l)).isTrue();
            });
        }
        assertThat(e1.ipv6Lease()).isNotEqualTo(e2.ipv6Lease());

        String keys = cluster.etcdctl("get", "--prefix", "--keys-only", OverlayCluster.PREFIX + "/subnets/");
        for (int n = 1; n <= 2; n++) {
            assertThat(keys).contains(hosts.leaseKey(n));
        }
        String value = hosts.leaseValue(1);
        assertThat(value).isEqualTo("{\"PublicIP\":\"" + cluster.host(1).underlayIp() + "\",\"PublicIPv6\":\"" + underlay6(1)
                + "\",\"BackendType\":\"host-gw\"}");
    }

    @Test
    @Order(2)
    void statusAndPeersShowBothFamilies() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        JsonNode status = json.readTree(cluster.agentHttp(1, "/status"));
        assertThat(status.path("Lease").path("IPv6Subnet").asText()).isEqualTo(cluster.lease6(1).toString());
        assertThat(status.path("Lease").path("PublicIPv6").asText()).isEqualTo(underlay6(1));
        JsonNode peers = json.readTree(cluster.agentHttp(1, "/peers"));
        assertThat(peers.findValuesAsText("IPv6Subnet")).containsExactly(cluster.lease6(2).toString());
        String table = cluster.host(1).execOk(OverlayCluster.launcher().toString(), "status", "--no-probe", "--healthz-port",
                Integer.toString(OverlayCluster.HEALTHZ_PORT), "--subnet-file", cluster.subnetFile(1).toString());
        assertThat(table).contains("lease IPv6: " + cluster.lease6(1) + "  public IPv6 " + underlay6(1));
        assertThat(cluster.agentHttp(1, "/metrics")).contains("javaoverlay_lease_ipv6_info{public_ip=\"" + underlay6(1) + "\",subnet=\""
                + cluster.lease6(1) + "\"} 1.0");
    }

    @Test
    @Order(3)
    void eachHostRoutesThePeersIpv6SubnetViaItsPublicIpv6() {
        Ip6Net peer6 = cluster.lease6(2);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (JsonNode r : cluster.host(1).ipJson("-6", "route", "show", peer6.toString())) {
                if (r.path("gateway").asText().equals(underlay6(2)) && r.path("dev").asText().equals(cluster.host(1).underlayInterface())
                        && r.path("protocol").asText().equals("74")) {
                    return true;
                }
            }
            return false;
        });
    }

    @Test
    @Order(4)
    void containersPingEachOtherOverBothFamilies() {
        TestNamespace c11 = cluster.container(1, 1);
        assertThat(c11.ping(hosts.containerIp6(2, 1), 10)).as("ping -6 across hosts").isTrue();
        assertThat(c11.ping(hosts.containerIp6(2, 2), 5)).isTrue();
        assertThat(cluster.container(2, 2).ping(hosts.containerIp6(1, 2), 5)).isTrue();
        assertThat(c11.ping(cluster.containerIp(2, 1).toString(), 5)).as("ping -4 across hosts").isTrue();
        ExecResult six = c11.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", hosts.containerIp6(2, 1));
        assertThat(six.ok()).as(six.stdout() + six.stderr()).isTrue();
        assertThat(six.stdout()).contains("3 received");
    }

    @Test
    @Order(5)
    void aLateHostIsRoutedWithinASecondOfItsLeaseAndReachableOverIpv6() throws Exception {
        hosts.bringUpLate(3, List.of(1, 2)); // the target: hosts 1 and 2 route it within a second of its lease
        assertThat(hosts.routesIpv6Via(1, 3, underlay6(3))).as("via host 3's PublicIPv6, marked as javaoverlay's").isTrue();
        hosts.addContainers(3);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> cluster.container(1, 1).exec(Duration.ofSeconds(2), "ping", "-6", "-n", "-c1", "-W1", hosts.containerIp6(3, 1)).ok());
        System.out.printf("host 3 reachable over IPv6 from host 1 %d ms after its containers were up"
                + " (addresses settled)%n", (System.nanoTime() - start) / 1_000_000);
        assertThat(cluster.container(3, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
    }

    @Test
    @Order(6)
    void aDeletedIpv6RouteIsRestored() {
        TestHost h1 = cluster.host(1);
        Ip6Net peer6 = cluster.lease6(2);
        h1.ip("-6", "route", "del", peer6.toString());
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> h1.ipJson("-6", "route", "show", peer6.toString()).size() == 1);
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
        assertThat(cluster.agent(1).log()).contains("is missing; restoring it");
    }

    @Test
    @Order(8)
    void aDualStackLeaseDeletedFromEtcdIsPutBackWithBothHalves() {
        String key = hosts.leaseKey(2);
        String before = cluster.etcdctl("get", "--print-value-only", key).strip();
        cluster.etcdctl("del", key);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> cluster.etcdctl("get", "--print-value-only", key).strip().equals(before));
        assertThat(cluster.etcdctl("get", "--prefix", "--keys-only", OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(2).toKey()).strip())
                .as("only the dual-stack key, no IPv4-only one").isEqualTo(key);
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
    }

    @Test
    @Order(7)
    void udpWithIpv6IsRefusedClearly() {
        TestHost h3 = cluster.host(3);
        var p = h3.start("udp6-agent", List.of(OverlayCluster.launcher().toString(), "agent", "--lease-dir",
                        cluster.hostDir(3).resolve("udp-leases").toString(), "--net-config-path", writeUdpConfig().toString(),
                        "--iface", h3.underlayInterface(), "--subnet-file", cluster.hostDir(3).resolve("udp-subnet.env").toString(),
                        "--data-dir", cluster.hostDir(3).resolve("udp-data").toString(), "--cni-socket=" + cluster.hostDir(3).resolve("udp.sock")),
                Map.of());
        try {
            // the agent waits for a usable config, saying why this one is not
            p.awaitLog("EnableIPv6 with the udp backend is not supported by javaoverlay", Duration.ofSeconds(60));
            assertThat(p.log()).contains("udp is IPv4 only, as in flannel").contains("use vxlan or host-gw, or set EnableIPv6 to false");
            assertThat(cluster.hostDir(3).resolve("udp-subnet.env")).doesNotExist();
            assertThat(h3.ipJson("link", "show").findValuesAsText("ifname")).noneMatch(n -> n.startsWith("flannel"));
        } finally {
            p.stop();
        }
    }

    /**
     * host-gw's traffic counters (HostGwAccounting) in ip6tables for the IPv6 network, beside
     * iptables' for the IPv4 one: IPv6 traffic shows on /metrics as IPv4 traffic does.
     */
    @Test
    @Order(9)
    void ipv6TrafficIsCountedInIp6tablesAccountingChainsAndOnMetrics() {
        TestHost h1 = cluster.host(1);
        String iface = h1.underlayInterface();
        assertThat(h1.execOk("ip6tables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-TX").lines().toList()).containsExactly(
                "-N JAVAOVERLAY-HOSTGW-TX", "-A JAVAOVERLAY-HOSTGW-TX -d " + NETWORK6 + " -o " + iface
                        + " -m comment --comment \"javaoverlay host-gw to peers\"");
        assertThat(h1.execOk("ip6tables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-RX").lines().toList()).containsExactly(
                "-N JAVAOVERLAY-HOSTGW-RX", "-A JAVAOVERLAY-HOSTGW-RX -s " + NETWORK6 + " -i " + iface
                        + " -m comment --comment \"javaoverlay host-gw from peers\"");
        assertThat(h1.execOk("iptables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-TX"))
                .as("the IPv4 chain counts the IPv4 network").contains("-d " + OverlayCluster.NETWORK + " -o " + iface);

        long tx6 = ip6Packets(h1, "JAVAOVERLAY-HOSTGW-TX");
        long rx6 = ip6Packets(h1, "JAVAOVERLAY-HOSTGW-RX");
        TrafficSample before = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "host-gw");
        ExecResult six = cluster.container(1, 1).exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c5", "-i0.2", "-W1", hosts.containerIp6(2, 1));
        assertThat(six.stdout()).as(six.stdout() + six.stderr()).contains("5 received");
        assertThat(ip6Packets(h1, "JAVAOVERLAY-HOSTGW-TX")).as("echo requests out to host 2").isGreaterThanOrEqualTo(tx6 + 5);
        assertThat(ip6Packets(h1, "JAVAOVERLAY-HOSTGW-RX")).as("echo replies in from host 2").isGreaterThanOrEqualTo(rx6 + 5);
        TrafficSample moved = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "host-gw").minus(before);
        assertThat(moved.txPackets()).as("/metrics counts them").isGreaterThanOrEqualTo(5);
        assertThat(moved.rxPackets()).isGreaterThanOrEqualTo(5);
    }

    /** The packet counter of the one rule in an ip6tables mangle chain. */
    private static long ip6Packets(TestHost h, String chain) {
        List<String> rules = h.execOk("ip6tables", "-t", "mangle", "-L", chain, "-v", "-x", "-n").lines()
                .filter(l -> l.contains("javaoverlay host-gw")).toList();
        assertThat(rules).as(chain).hasSize(1);
        return Long.parseLong(rules.get(0).trim().split("\\s+")[0]);
    }

    private static java.nio.file.Path writeUdpConfig() {
        java.nio.file.Path p = cluster.hostDir(3).resolve("udp-net-conf.json");
        try {
            java.nio.file.Files.writeString(p, "{\"Network\":\"10.99.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:99::/48\","
                    + "\"Backend\":{\"Type\":\"udp\"}}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }
}
