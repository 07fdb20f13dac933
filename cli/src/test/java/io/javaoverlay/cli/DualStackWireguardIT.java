package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * Dual-stack wireguard (Mode separate, flannel's default) across three namespace hosts on a
 * dual-stack underlay, on wireguard-go, with a real etcd: every host runs {@code flannel-wg} on
 * 51820 and {@code flannel-wg-v6} on 51821 with one key, publishes flannel v0.28's lease value
 * ({@code BackendV6Data} with the same key and ListenPortV6), and its containers reach the other
 * hosts' with {@code ping -6} and {@code ping -4} while the underlay carries nothing but WireGuard
 * UDP (and etcd); a stop leaves neither device, a restart keeps the key; what someone deletes on
 * the IPv6 device comes back.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackWireguardIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String NETWORK6 = "fc00:9::/48";
    static final String DEV = "flannel-wg";
    static final String DEV6 = "flannel-wg-v6";

    // no agent starts by itself: each host gets its IPv6 underlay address first
    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.of("{\"Type\":\"wireguard\"}", 3, 0)
            // the hosts' subnets stay below the ones the hostile leases are written at
            .withSubnetMax(199).withIpv6Network(NETWORK6).withConfig(",\"IPv6SubnetMax\":\"fc00:9:0:c7::\""));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    static JsonNode lease(int n) throws IOException {
        return JSON.readTree(cluster.etcdctl("get", "--print-value-only", hosts.leaseKey(n)).strip());
    }

    /** {@code wg} on host {@code n}, in its agent's mount namespace (where /run/wireguard is that host's). */
    static ExecResult wg(int n, String... args) {
        return WireguardHosts.wg(cluster, n, null, args);
    }

    /** Lines of {@code wg show <dev> dump}, split at tabs: the interface's first, then one per peer. */
    static List<String[]> dump(int n, String dev) {
        return WireguardHosts.dump(cluster, n, dev);
    }

    /** Whether host {@code n}'s flannel-wg-v6 has host {@code peer}'s IPv6 half as flannel programs it. */
    static boolean hasIpv6Peer(int n, int peer) {
        String endpoint = "[" + DualStackHosts.underlay6(peer) + "]:51821";
        return dump(n, DEV6).stream().skip(1).anyMatch(p -> p[2].equals(endpoint) && p[3].equals(cluster.lease6(peer).toString()));
    }

    static boolean ping6(int fromHost, int fromContainer, int toHost, int toContainer) {
        return cluster.container(fromHost, fromContainer).exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1",
                hosts.containerIp6(toHost, toContainer)).ok();
    }

    @Test
    @Order(1)
    void theLeaseIsFlannelsDualStackValueFieldByFieldWithOneKeyAndBothPorts() throws Exception {
        hosts.bringUp(1, 2, 3);
        for (int n = 1; n <= 3; n++) {
            assertThat(cluster.subnetEnv(n).mtu()).as("FLANNEL_MTU: 1500 minus 80, as flannel").isEqualTo(1420);
            assertThat(cluster.subnetEnv(n).ipv6Network()).hasValue(NETWORK6);
            String raw = cluster.etcdctl("get", "--print-value-only", hosts.leaseKey(n)).strip();
            // flannel v0.28's newSubnetAttrs for Mode separate: wireguardLeaseAttrs{PublicKey, Port} in both data fields,
            // the one key file's key in each, ListenPort and ListenPortV6; LeaseAttrs' fields in the Go struct's order
            assertThat(raw).isEqualTo(WireguardHosts.dualStackLease(cluster, n));
            assertThat(DualStackHosts.inFlannelsFieldOrder(raw).path("BackendV6Data").path("Port").isInt()).isTrue();
        }
    }

    @Test
    @Order(2)
    void flannelWgV6IsMadeAsFlannelMakesItBesideFlannelWg() {
        for (int n = 1; n <= 3; n++) {
            TestHost h = cluster.host(n);
            assertThat(h.ipJson("-d", "link", "show", DEV6).get(0).path("mtu").asInt()).as("the same MTU as flannel-wg").isEqualTo(1420);
            assertThat(h.ipJson("-d", "link", "show", DEV).get(0).path("mtu").asInt()).isEqualTo(1420);
            List<String> addresses = new ArrayList<>();
            for (JsonNode a : h.ipJson("-6", "addr", "show", "dev", DEV6, "scope", "global")) {
                a.path("addr_info").forEach(i -> {
                    if (i.has("local")) {
                        addresses.add(i.path("local").asText() + "/" + i.path("prefixlen").asInt());
                    }
                });
            }
            assertThat(addresses).as("the IPv6 subnet's address as a /128").containsExactly(Ip6Net.format(cluster.lease6(n).address()) + "/128");
            assertThat(h.ip("-6", "route", "show", NETWORK6)).contains(NETWORK6 + " dev " + DEV6 + " proto 74");
            assertThat(h.ip("-4", "addr", "show", "dev", DEV)).contains("inet " + cluster.subnet(n).address() + "/32");
            assertThat(h.ip("-4", "addr", "show", "dev", DEV6)).as("no IPv4 on the IPv6 device").isBlank();
            int self = n;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                List<String[]> v6 = dump(self, DEV6);
                List<String[]> v4 = dump(self, DEV);
                assertThat(v6).hasSize(3);
                assertThat(v6.get(0)[1]).as("one key on both devices, as flannel").isEqualTo(v4.get(0)[1]).isEqualTo(WireguardHosts.publicKeyOfKeyFile(cluster, self));
                assertThat(v6.get(0)[2]).isEqualTo("51821");
                assertThat(v4.get(0)[2]).isEqualTo("51820");
                for (int peer = 1; peer <= 3; peer++) {
                    if (peer != self) {
                        assertThat(hasIpv6Peer(self, peer)).as("host %d's IPv6 peer %d", self, peer).isTrue();
                    }
                }
                // the IPv4 device keeps the IPv4 halves only
                for (String[] p : v4.subList(1, v4.size())) {
                    assertThat(p[3]).startsWith("10.244.");
                    assertThat(p[2]).endsWith(":51820").doesNotContain("[");
                }
            });
            assertThat(h.exec("ip", "link", "show", "flannel-v6.1").ok()).as("no vxlan device").isFalse();
        }
    }

    @Test
    @Order(3)
    void containersPingAcrossHostsOverBothFamiliesAndTheUnderlayCarriesOnlyWireguard() throws Throwable {
        TestHost h1 = cluster.host(1);
        List<String> lines = WireguardHosts.ipPackets(WireguardHosts.underlayDuring(h1, "tcpdump-underlay6", List.of(), () -> {
            hosts.everyHostsContainersPingTheOthersOverBothFamilies();
            var six = cluster.container(1, 2).exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", hosts.containerIp6(3, 2));
            assertThat(six.ok()).as(six.describe()).isTrue();
            assertThat(six.stdout()).contains("from " + hosts.containerIp6(3, 2));
            String seen = DualStackHosts.sourceSeenBy(cluster.container(2, 1), hosts.containerIp6(2, 1), cluster.container(1, 1), 5061);
            assertThat(seen).as("the container's own IPv6 address arrives, not NATed").isEqualTo(hosts.containerIp6(1, 1));
        }));
        long wg6 = lines.stream().filter(l -> l.matches(".* IP6 fd00:e2e::\\d+\\.51821 > fd00:e2e::\\d+\\.51821: UDP.*")).count();
        long wg4 = lines.stream().filter(l -> l.matches(".* IP [\\d.]+\\.51820 > [\\d.]+\\.51820: UDP.*")).count();
        assertThat(wg6).as("WireGuard datagrams between the hosts' IPv6 addresses on port 51821").isGreaterThan(10);
        // four IPv4 pings touch host 1 (to and from hosts 2 and 3), each a request and a reply
        assertThat(wg4).as("WireGuard datagrams on port 51820").isGreaterThanOrEqualTo(8);
        for (String l : lines) {
            assertThat(l).as("nothing of the overlay in clear").doesNotContain("10.244.").doesNotContain("fc00:9:").doesNotContain("echo");
        }
        List<String> other = lines.stream()
                .filter(l -> !l.matches(".* IP6 fd00:e2e::\\d+\\.51821 > fd00:e2e::\\d+\\.51821: UDP.*"))
                .filter(l -> !l.matches(".* IP [\\d.]+\\.51820 > [\\d.]+\\.51820: UDP.*"))
                .filter(l -> !l.matches(".*\\.2379[ :].*"))
                // the underlay's own neighbour and router discovery (and MLD) from the hosts' fd00:e2e:: and link-local addresses
                .filter(l -> !l.matches(".* IP6 (fd00:e2e::|fe80::)[0-9a-f:]* > [0-9a-f:]+: ICMP6, (neighbor (solicitation|advertisement)|router solicitation|multicast listener report).*"))
                .toList();
        assertThat(other).as("packets other than WireGuard to 51820/51821, etcd (2379) and the underlay's own neighbour and router discovery").isEmpty();
    }

    @Test
    @Order(4)
    void aStopLeavesNeitherDeviceAndARestartKeepsBothHalvesKey() throws Exception {
        JsonNode before = lease(2);
        Path data = cluster.hostDir(2).resolve("data");
        long pid4 = Long.parseLong(Files.readString(data.resolve("wireguard-go.pid")).strip());
        long pid6 = Long.parseLong(Files.readString(data.resolve("wireguard-go-v6.pid")).strip());
        assertThat(pid6).as("one wireguard-go per device").isNotEqualTo(pid4);
        assertThat(cluster.agent(2).stop()).isZero();
        TestHost h2 = cluster.host(2);
        assertThat(h2.exec("ip", "link", "show", DEV).ok()).as("flannel-wg after stop").isFalse();
        assertThat(h2.exec("ip", "link", "show", DEV6).ok()).as("flannel-wg-v6 after stop").isFalse();
        for (long pid : new long[] {pid4, pid6}) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("wireguard-go %d after stop", pid).isFalse();
        }
        assertThat(data.resolve("wireguard-go.pid")).doesNotExist();
        assertThat(data.resolve("wireguard-go-v6.pid")).doesNotExist();
        assertThat(h2.ip("-6", "route", "show", NETWORK6)).isBlank();
        assertThat(h2.ip("route", "show", OverlayCluster.NETWORK)).isBlank();

        cluster.startAgent(2);
        JsonNode after = lease(2);
        assertThat(after.path("BackendData")).isEqualTo(before.path("BackendData"));
        assertThat(after.path("BackendV6Data")).as("the same key and port in BackendV6Data").isEqualTo(before.path("BackendV6Data"));
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> ping6(1, 1, 2, 1));
        assertThat(cluster.container(2, 2).ping(hosts.containerIp6(3, 1), 5)).isTrue();
        assertThat(cluster.container(2, 2).ping(cluster.containerIp(3, 1).toString(), 5)).isTrue();
    }

    @Test
    @Order(5)
    void aRemovedIpv6PeerADeletedIpv6RouteAndADeletedFlannelWgV6AreRestored() {
        TestHost h1 = cluster.host(1);
        String peer2 = dump(1, DEV6).stream().skip(1).filter(p -> p[3].equals(cluster.lease6(2).toString())).findFirst().orElseThrow()[0];
        wg(1, "set", DEV6, "peer", peer2, "remove").orThrow();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> hasIpv6Peer(1, 2));
        assertThat(cluster.agent(1).log()).contains("the WireGuard peers on flannel-wg-v6 differ from the leases");

        h1.ip("-6", "route", "del", NETWORK6, "dev", DEV6);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> !h1.ip("-6", "route", "show", NETWORK6).isBlank());
        assertThat(cluster.agent(1).log()).contains("the route to " + NETWORK6 + " via flannel-wg-v6 is missing; restoring it");

        h1.ip("link", "del", DEV6);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.agent(1).log().contains("the WireGuard device flannel-wg-v6 is gone; making it again"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> ping6(1, 1, 2, 1));
        assertThat(cluster.container(3, 1).ping(hosts.containerIp6(1, 2), 5)).isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).as("IPv4 untouched").isTrue();
    }

    /** flannel-wg-v6's peers are on /metrics beside flannel-wg's, labelled by their IPv6 subnet. */
    @Test
    @Order(6)
    void metricsShowTheIpv6PeersToo() {
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(3, 1), 3)).isTrue();
        String m = cluster.agentHttp(1, "/metrics");
        assertThat(m).containsPattern("javaoverlay_tunnel_peer_bytes_total\\{backend=\"wireguard\",direction=\"tx\",public_key=\"[^\"]+\","
                + "subnet=\"" + java.util.regex.Pattern.quote(cluster.lease6(3).toString()) + "\"} [1-9]");
        assertThat(m).contains("subnet=\"" + cluster.subnet(3) + "\"");
    }

    /** An agent killed with SIGKILL leaves both wireguard-go running; the next one keeps both, and ping -6 loses nothing. */
    @Test
    @Order(7)
    void aKilledAgentLeavesBothDevicesUpAndTheNextOneKeepsThem() throws Exception {
        Path data = cluster.hostDir(1).resolve("data");
        String pid4 = Files.readString(data.resolve("wireguard-go.pid")).strip();
        String pid6 = Files.readString(data.resolve("wireguard-go-v6.pid")).strip();
        TestProcess ping = cluster.container(2, 1).start("ping6-through-kill", "ping", "-6", "-n", "-i", "0.05", "-w", "120",
                hosts.containerIp6(1, 1));
        Thread.sleep(500);
        cluster.agent(1).process().destroyForcibly().waitFor();
        Thread.sleep(300);
        cluster.startAgent(1);
        Thread.sleep(1500);
        Exec.run("kill", "-INT", Long.toString(ping.pid())).orThrow();
        ping.process().waitFor();
        java.util.regex.Matcher m = DataPathContract.PING_SUMMARY.matcher(ping.log());
        assertThat(m.find()).as("ping summary in:\n%s", ping.log()).isTrue();
        int sent = Integer.parseInt(m.group(1));
        System.out.printf("[%s] ping -6 through kill -9 and restart of agent 1: %s pings sent, %s answered%n", getClass().getSimpleName(),
                m.group(1), m.group(2));
        // the echo sent just before SIGINT may still be on its way back; every earlier one must have come back
        assertThat(DataPathContract.unanswered(ping.log(), sent)).as("echo requests never answered, in:%n%s", ping.log())
                .allMatch(seq -> seq == sent);
        assertThat(Files.readString(data.resolve("wireguard-go.pid")).strip()).as("flannel-wg's wireguard-go kept").isEqualTo(pid4);
        assertThat(Files.readString(data.resolve("wireguard-go-v6.pid")).strip()).as("flannel-wg-v6's wireguard-go kept").isEqualTo(pid6);
        assertThat(cluster.agent(1).log()).contains("flannel-wg-v6: keeping wireguard-go");
        assertThat(cluster.container(1, 2).ping(hosts.containerIp6(3, 2), 5)).isTrue();
        assertThat(cluster.container(1, 2).ping(cluster.containerIp(3, 2).toString(), 5)).isTrue();
    }

    /**
     * Hostile IPv6 halves at the trust boundary: this host's own key in BackendV6Data, a
     * BackendV6Data key that is not one, a link-local PublicIPv6. Each is rejected with its reason,
     * counted, listed in /status, and programmed on neither device; ping -6 goes on.
     */
    @Test
    @Order(8)
    void hostileIpv6HalvesAreRejectedWithTheirReasonAndProgrammedOnNeitherDevice() throws Exception {
        String own = lease(1).path("BackendData").path("PublicKey").asText();
        io.javaoverlay.core.net.Ip4 ip = cluster.net.underlaySubnet().address().plus(210);
        Map<String, String[]> hostile = new java.util.TreeMap<>();
        hostile.put("10.244.231.0-24&fc00:9:0:e7::-64", new String[] {value(ip, "fd00:e2e::e7", newKey(), own), "bad-backend-data"});
        hostile.put("10.244.232.0-24&fc00:9:0:e8::-64", new String[] {value(ip.plus(1), "fd00:e2e::e8", newKey(), "bm90IGEga2V5"), "bad-backend-data"});
        hostile.put("10.244.233.0-24&fc00:9:0:e9::-64", new String[] {value(ip.plus(2), "fe80::e9", newKey(), newKey()), "bad-public-ip"});
        Map<String, Integer> before = HostileLeasesContract.rejectedCounts(cluster.agentHttp(1, "/metrics"));
        try {
            for (Map.Entry<String, String[]> e : hostile.entrySet()) {
                cluster.etcdctl("put", OverlayCluster.PREFIX + "/subnets/" + e.getKey(), e.getValue()[0]);
            }
            Map<String, Integer> expected = new java.util.TreeMap<>(before);
            hostile.values().forEach(v -> expected.merge(v[1], 1, Integer::sum));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(HostileLeasesContract.rejectedCounts(cluster.agentHttp(1, "/metrics"))).isEqualTo(expected));
            JsonNode status = JSON.readTree(cluster.agentHttp(1, "/status"));
            Map<String, String> listed = new java.util.TreeMap<>();
            status.path("Rejected").forEach(r -> listed.put(r.path("Key").asText(), r.path("Reason").asText()));
            hostile.forEach((k, v) -> assertThat(listed).containsEntry(k, v[1]));
            assertThat(cluster.agent(1).log()).contains("BackendV6Data PublicKey " + own + " is this host's own")
                    .contains("its BackendV6Data PublicKey: not a WireGuard key").contains("PublicIPv6 fe80::e9 is link-local");
            for (String dev : List.of(DEV, DEV6)) {
                assertThat(dump(1, dev).stream().skip(1).map(p -> p[3]).toList()).as(dev).hasSize(2)
                        .noneMatch(a -> List.of("10.244.231.0/24", "10.244.232.0/24", "10.244.233.0/24", "fc00:9:0:e7::/64",
                                "fc00:9:0:e8::/64", "fc00:9:0:e9::/64").contains(a));
            }
            assertThat(ping6(2, 1, 1, 1)).isTrue();
        } finally {
            hostile.keySet().forEach(k -> cluster.etcdctl("del", OverlayCluster.PREFIX + "/subnets/" + k));
        }
    }

    static String newKey() {
        return io.javaoverlay.core.net.WireguardKey.generatePrivate().publicKey().toString();
    }

    static String value(io.javaoverlay.core.net.Ip4 ip, String ip6, String key, String key6) {
        return "{\"PublicIP\":\"" + ip + "\",\"PublicIPv6\":\"" + ip6 + "\",\"BackendType\":\"wireguard\","
                + "\"BackendData\":{\"PublicKey\":\"" + key + "\",\"Port\":51820},\"BackendV6Data\":{\"PublicKey\":\"" + key6
                + "\",\"Port\":51821}}";
    }

    /** CNI pods made by the real CNI executable get both families and reach pods on other hosts through both devices; DEL frees them. */
    @Test
    @Order(9)
    @SuppressWarnings("unchecked")
    void cniPodsGetBothFamiliesAndReachEachOtherAcrossHostsThroughBothDevices() {
        OverlayCluster.Pod a = cluster.cniPod(1, "wg6-pod-a");
        OverlayCluster.Pod b = cluster.cniPod(3, "wg6-pod-b");
        List<String> ip6 = new ArrayList<>();
        for (OverlayCluster.Pod p : List.of(a, b)) {
            List<Map<String, Object>> ips = (List<Map<String, Object>>) p.result().get("ips");
            assertThat(ips).as("both families").hasSize(2);
            String address6 = ((String) ips.get(1).get("address")).split("/")[0];
            assertThat(cluster.lease6(p.host()).contains(Ip6Net.parseAddress(address6))).as("%s in host %d's IPv6 subnet", address6, p.host()).isTrue();
            assertThat(p.ns().ip("link", "show", "eth0")).as("FLANNEL_MTU").contains("mtu 1420");
            ip6.add(address6);
        }
        ExecResult six = a.ns().exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", ip6.get(1));
        assertThat(six.ok()).as(six.describe()).isTrue();
        assertThat(b.ns().exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W1", ip6.get(0)).ok()).isTrue();
        assertThat(a.ping(b)).as("ping -4 pod to pod").isTrue();
        for (OverlayCluster.Pod p : List.of(a, b)) {
            OverlayCluster.CniRun del = cluster.cni(p.host(), cluster.cniSocket(p.host()).toString(),
                    OverlayCluster.cniEnv("DEL", p.host() == 1 ? "wg6-pod-a" : "wg6-pod-b", p.ns()), cluster.cniConf(p.host()));
            assertThat(del.exit()).as(del.toString()).isZero();
            assertThat(p.ns().ip("link", "show")).doesNotContain("eth0");
        }
    }
}
