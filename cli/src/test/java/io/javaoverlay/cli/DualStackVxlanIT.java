package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.channels.ServerSocketChannel;
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

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;

/**
 * Dual-stack vxlan across three namespace hosts on a dual-stack underlay with a real etcd: every
 * host makes {@code flannel.1} and {@code flannel-v6.1} as flannel does, publishes both VTEP MACs in
 * one flannel lease, and programs one IPv6 neighbour, FDB entry and onlink route per peer;
 * containers ping each other with {@code ping -6} and {@code ping -4}, a TCP stream over IPv6
 * arrives intact, a late host is reachable within a second, and what someone deletes comes back.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackVxlanIT {

    static final String NETWORK6 = "fc00:7::/48";

    // no agent starts by itself: each host gets its IPv6 underlay address first
    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\"}", 3, 0)
            .withIpv6Network(NETWORK6)
            .requiring(r -> r.command("ip6tables", "iptables").command("bridge", "iproute2"));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    /** The first address of a subnet, as {@code ip} prints it: a peer's VTEP address. */
    static String vtep6(Ip6Net subnet) {
        return Ip6Net.format(subnet.address());
    }

    static JsonNode link(TestHost h, String name) {
        return h.ipJson("-d", "link", "show", name).get(0);
    }

    @Test
    @Order(1)
    void everyHostPublishesBothVtepsInOneFlannelLeaseFieldByField() throws Exception {
        hosts.bringUp(1, 2);
        for (int n = 1; n <= 2; n++) {
            SubnetEnv e = cluster.subnetEnv(n);
            assertThat(e.ipv6Network()).hasValue(NETWORK6);
            assertThat(e.mtu()).as("FLANNEL_MTU: the IPv4 device's, as in flannel").isEqualTo(1450);
            String value = hosts.leaseValue(n);
            TestHost h = cluster.host(n);
            String mac = link(h, "flannel.1").path("address").asText();
            String mac6 = link(h, "flannel-v6.1").path("address").asText();
            assertThat(mac6).isNotEqualTo(mac);
            // flannel's LeaseAttrs with vxlanLeaseAttrs in both data fields, in the Go struct's order
            assertThat(value).isEqualTo("{\"PublicIP\":\"" + h.underlayIp() + "\",\"PublicIPv6\":\"" + DualStackHosts.underlay6(n)
                    + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"},"
                    + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}}");
            assertThat(DualStackHosts.inFlannelsFieldOrder(value).path("BackendV6Data").path("VNI").isInt()).isTrue();
        }
    }

    @Test
    @Order(2)
    void theIpv6DeviceIsFlannelsFlannelV6() {
        TestHost h = cluster.host(1);
        JsonNode dev = link(h, "flannel-v6.1");
        JsonNode data = dev.path("linkinfo").path("info_data");
        assertThat(dev.path("linkinfo").path("info_kind").asText()).isEqualTo("vxlan");
        assertThat(data.path("id").asInt()).isEqualTo(1);
        assertThat(data.path("local6").asText()).isEqualTo(DualStackHosts.underlay6(1));
        assertThat(data.has("local")).as("no IPv4 source").isFalse();
        assertThat(data.path("port").asInt()).isEqualTo(8472);
        assertThat(data.path("learning").asBoolean()).isFalse();
        assertThat(data.path("link").asText()).isEqualTo(h.underlayInterface());
        // flannel asks for the underlay MTU minus 50; the kernel caps a VXLAN device over IPv6 at minus 70
        assertThat(dev.path("mtu").asInt()).isEqualTo(1500 - 70);
        assertThat(dev.path("operstate").asText()).isNotEqualTo("DOWN");
        assertThat(h.execOk("sysctl", "-n", "net.ipv6.conf.flannel-v6/1.accept_ra").strip()).isEqualTo("0");
        List<String> addresses = new ArrayList<>();
        for (JsonNode a : h.ipJson("-6", "addr", "show", "dev", "flannel-v6.1", "scope", "global")) {
            // ip -j adds an empty object to addr_info when it filters by scope
            a.path("addr_info").forEach(i -> {
                if (i.has("local")) {
                    addresses.add(i.path("local").asText() + "/" + i.path("prefixlen").asInt());
                }
            });
        }
        assertThat(addresses).containsExactly(vtep6(cluster.lease6(1)) + "/128");
    }

    @Test
    @Order(3)
    void eachPeerGetsAnIpv6NeighbourAnFdbEntryAndAnOnlinkRoute() {
        TestHost h1 = cluster.host(1);
        Ip6Net peer = cluster.lease6(2);
        String mac6 = link(cluster.host(2), "flannel-v6.1").path("address").asText();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode routes = h1.ipJson("-6", "route", "show", peer.toString());
            assertThat(routes).hasSize(1);
            JsonNode r = routes.get(0);
            assertThat(r.path("gateway").asText()).isEqualTo(vtep6(peer));
            assertThat(r.path("dev").asText()).isEqualTo("flannel-v6.1");
            assertThat(r.path("flags").toString()).contains("onlink");
            assertThat(r.path("protocol").asText()).isEqualTo("74");
        });
        List<String> neighbours = new ArrayList<>();
        for (JsonNode n : h1.ipJson("-6", "neigh", "show", "dev", "flannel-v6.1")) {
            neighbours.add(n.path("dst").asText() + " " + n.path("lladdr").asText() + " " + n.path("state").toString());
        }
        assertThat(neighbours).containsExactly(vtep6(peer) + " " + mac6 + " [\"PERMANENT\"]");
        List<String> fdb = new ArrayList<>();
        for (JsonNode f : h1.bridgeJson("fdb", "show", "dev", "flannel-v6.1")) {
            if (f.has("dst")) {
                fdb.add(f.path("mac").asText() + " " + f.path("dst").asText());
            }
        }
        assertThat(fdb).containsExactly(mac6 + " " + DualStackHosts.underlay6(2));
    }

    @Test
    @Order(4)
    void containersPingEachOtherOverBothFamilies() {
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 10)).as("ping -6 across hosts").isTrue();
        assertThat(cluster.container(2, 2).ping(hosts.containerIp6(1, 2), 5)).isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).as("ping -4 across hosts").isTrue();
        var six = cluster.container(1, 2).exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", hosts.containerIp6(2, 2));
        assertThat(six.stdout()).contains("3 received");
    }

    @Test
    @Order(5)
    void aTcpStreamOverIpv6ArrivesIntactThroughTheSmallerIpv6Device() throws Exception {
        // the containers' MTU is FLANNEL_MTU (1450), the IPv6 device's 1430: full-sized segments are
        // answered with "packet too big" and TCP settles on the path MTU
        InetAddress target = InetAddress.getByName(hosts.containerIp6(2, 2));
        int size = 4 << 20;
        TrafficSample sender = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "vxlan");
        TrafficSample receiver = TrafficSample.of(cluster.agentHttp(2, "/metrics"), "vxlan");
        try (ServerSocketChannel server = NamespaceSockets.listen(cluster.container(2, 2), target, 5006)) {
            String[] digests = NamespaceSockets.transfer(cluster.container(1, 1), server, target, 5006, size, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of the 4 MiB received over IPv6").isEqualTo(digests[0]);
        }
        // vxlan's traffic on /metrics is both devices': the stream went through flannel-v6.1 alone
        TrafficSample sent = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "vxlan").minus(sender);
        TrafficSample received = TrafficSample.of(cluster.agentHttp(2, "/metrics"), "vxlan").minus(receiver);
        assertThat(sent.txBytes()).as("vxlan tx bytes of host 1 for the 4 MiB over IPv6").isGreaterThan(size);
        assertThat(received.rxBytes()).as("vxlan rx bytes of host 2").isGreaterThan(size);
    }

    @Test
    @Order(6)
    void aLateHostIsReachableOverIpv6WithinASecond() throws Exception {
        hosts.bringUpLate(3, List.of(1, 2)); // hosts 1 and 2 route its IPv6 subnet within a second of its lease
        hosts.addContainers(3);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> cluster.container(1, 1).exec(Duration.ofSeconds(2), "ping", "-6", "-n", "-c1", "-W1", hosts.containerIp6(3, 1)).ok());
        System.out.printf("host 3 reachable over IPv6 (vxlan) from host 1 %d ms after its containers were up (addresses settled)%n",
                (System.nanoTime() - start) / 1_000_000);
        assertThat(cluster.container(3, 2).ping(hosts.containerIp6(2, 1), 5)).isTrue();
        assertThat(cluster.container(3, 2).ping(cluster.containerIp(1, 2).toString(), 5)).isTrue();
    }

    @Test
    @Order(7)
    void deletedIpv6EntriesAndADeletedIpv6DeviceComeBack() {
        TestHost h1 = cluster.host(1);
        Ip6Net peer = cluster.lease6(2);
        h1.ip("-6", "route", "del", peer.toString());
        h1.ip("-6", "neigh", "flush", "dev", "flannel-v6.1", "nud", "permanent");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> h1.ipJson("-6", "route", "show", peer.toString()).size() == 1
                        && h1.ipJson("-6", "neigh", "show", "dev", "flannel-v6.1").size() == 2);
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
        assertThat(cluster.agent(1).log()).contains("disappeared; restoring it");

        h1.ip("link", "del", "flannel-v6.1");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.agent(1).log().contains("flannel-v6.1 was deleted by someone else; recreating it"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.container(1, 1).exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", hosts.containerIp6(2, 1)).ok());
        assertThat(cluster.container(1, 2).ping(hosts.containerIp6(3, 1), 5)).isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).as("IPv4 untouched").isTrue();
    }

    @Test
    @Order(8)
    void aLost128OnFlannelV6ComesBackAndTheHostsVtepAnswersAgain() {
        TestHost h1 = cluster.host(1);
        TestHost h2 = cluster.host(2);
        String own = vtep6(cluster.lease6(1));
        assertThat(h2.exec(Duration.ofSeconds(5), "ping", "-6", "-n", "-c1", "-W2", own).ok())
                .as("host 2 reaches host 1's flannel-v6.1 address before").isTrue();
        h1.ip("-6", "addr", "del", own + "/128", "dev", "flannel-v6.1");
        assertThat(h1.ip("-6", "addr", "show", "dev", "flannel-v6.1")).as("deleted").doesNotContain(own + "/128");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> h1.ip("-6", "addr", "show", "dev", "flannel-v6.1").contains(own + "/128"));
        assertThat(cluster.agent(1).log()).contains("flannel-v6.1 lacks its address " + own + "/128; adding it");
        assertThat(h1.ip("-6", "addr", "show", "dev", "flannel-v6.1", "scope", "global")).as("the /128 alone, as before")
                .containsOnlyOnce(own + "/128").doesNotContain("tentative");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> h2.exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", own).ok());
        assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 5)).as("ping -6 across hosts").isTrue();
        assertThat(cluster.container(1, 2).ping(hosts.containerIp6(3, 2), 5)).isTrue();
    }

    /** A dual-stack vxlan lease value of a host that is not there ("a stranger"), as flannel writes them. */
    static String strangerValue(int octet, String mac, String mac6) {
        return "{\"PublicIP\":\"" + cluster.net.underlaySubnet().address().plus(octet) + "\",\"PublicIPv6\":\"fd00:e2e::" + octet
                + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}}";
    }

    @Test
    @Order(9)
    void aLeaseWithABadIpv6HalfIsRejectedWholeAndCounted() {
        String key = OverlayCluster.PREFIX + "/subnets/10.244.231.0-24&fc00:7:0:e7::-64";
        cluster.etcdctl("put", key, strangerValue(97, "0a:00:00:00:00:61", "ff:ff:ff:ff:ff:ff"));
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> HostileLeasesContract.rejectedCounts(cluster.agentHttp(1, "/metrics")).getOrDefault("bad-vtep-mac", 0) >= 1);
            assertThat(cluster.agentHttp(1, "/status")).contains("\"Key\":\"10.244.231.0-24&fc00:7:0:e7::-64\"")
                    .contains("its BackendV6Data VtepMAC ff:ff:ff:ff:ff:ff is a multicast, broadcast or zero address");
            // neither half is programmed
            assertThat(cluster.host(1).ipJson("route", "show", "10.244.231.0/24")).isEmpty();
            assertThat(cluster.host(1).ipJson("-6", "route", "show", "fc00:7:0:e7::/64")).isEmpty();
            assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
        } finally {
            cluster.etcdctl("del", key);
        }
    }

    @Test
    @Order(10)
    void aLeaseWithThisHostsIpv6VtepMacMakesItChooseNewMacsWhileTrafficGoesOn() {
        TestHost h1 = cluster.host(1);
        String before6 = link(h1, "flannel-v6.1").path("address").asText();
        String key = OverlayCluster.PREFIX + "/subnets/10.244.230.0-24&fc00:7:0:e6::-64";
        cluster.etcdctl("put", key, strangerValue(96, "0a:00:00:00:00:60", before6));
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !link(h1, "flannel-v6.1").path("address").asText().equals(before6));
            String after6 = link(h1, "flannel-v6.1").path("address").asText();
            // the kernel flushed the device's neighbour entries with the MAC change: they are back at once
            // (and the stranger, whose MAC is no longer this host's, is a peer like any other now)
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50)).until(() -> {
                List<String> vteps = new ArrayList<>();
                h1.ipJson("-6", "neigh", "show", "dev", "flannel-v6.1", "nud", "permanent").forEach(n -> vteps.add(n.path("dst").asText()));
                return vteps.containsAll(List.of(vtep6(cluster.lease6(2)), vtep6(cluster.lease6(3))));
            });
            assertThat(cluster.agent(1).log()).contains("flannel-v6.1: changed the VTEP MAC " + before6 + " to " + after6 + " as well");
            // host 1's lease publishes the new MAC, and host 2 points its IPv6 FDB entry at host 1 with it
            String own = hosts.leaseKey(1);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.etcdctl("get", "--print-value-only", own).contains("\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + after6));
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                for (JsonNode f : cluster.host(2).bridgeJson("fdb", "show", "dev", "flannel-v6.1")) {
                    if (f.path("mac").asText().equals(after6) && f.path("dst").asText().equals(DualStackHosts.underlay6(1))) {
                        return true;
                    }
                }
                return false;
            });
            assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 5)).isTrue();
            assertThat(cluster.container(1, 2).ping(hosts.containerIp6(3, 2), 5)).isTrue();
        } finally {
            cluster.etcdctl("del", key);
        }
    }

    @Test
    @Order(11)
    void aRestartedAgentTakesOverFlannelV6WithItsMacAndTrafficNeverStops() {
        TestHost h2 = cluster.host(2);
        JsonNode before = link(h2, "flannel-v6.1");
        cluster.agent(2).stop();
        // device and entries stay while the agent is down
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).as("ping -6 with host 2's agent stopped").isTrue();
        cluster.startAgent(2);
        JsonNode after = link(h2, "flannel-v6.1");
        assertThat(after.path("ifindex").asInt()).as("the same device").isEqualTo(before.path("ifindex").asInt());
        assertThat(after.path("address").asText()).as("the same IPv6 VTEP MAC").isEqualTo(before.path("address").asText());
        assertThat(cluster.agent(2).log()).contains("flannel-v6.1: reusing the existing VXLAN device");
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 5)).isTrue();
        assertThat(cluster.container(2, 2).ping(hosts.containerIp6(3, 1), 5)).isTrue();
    }
}
