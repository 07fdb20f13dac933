package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.WireguardKey;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * The wireguard backend across namespace hosts, on wireguard-go (this kernel has no WireGuard
 * module): every container reaches every other through {@code flannel-wg}, the underlay carries
 * only UDP to port 51820, a host with another PSK reaches nothing.
 *
 * <p>wireguard-go and {@code wg} meet at {@code /run/wireguard/flannel-wg.sock}, one path on a
 * file system the namespace hosts share; so every agent runs with a directory of its host's
 * bind-mounted there, in the mount namespace {@code ip netns exec} gives it, and the test runs
 * {@code wg} inside that mount namespace ({@code nsenter -m -n}).
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class WireguardDataPathIT extends DataPathContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEV = "flannel-wg";
    /** The cluster's preshared key. */
    private static final WireguardKey PSK = WireguardKey.generatePrivate();
    /** Host 5 runs no agent: a WireGuard peer set up by hand with another PSK. */
    private static final int ROGUE = 5;

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(
            OverlayCluster.of("{\"Type\":\"wireguard\",\"PSK\":\"" + PSK + "\"}", 5, 3).withSubnetMax(199));

    static Path keyFile(int n) {
        return WireguardHosts.keyFile(cluster, n);
    }

    /** {@code wg} on host {@code n}, in its agent's mount namespace (where /run/wireguard is that host's). */
    static ExecResult wg(int n, String stdin, String... args) {
        return WireguardHosts.wg(cluster, n, stdin, args);
    }

    /** Host {@code n}'s peers: lines of {@code wg show flannel-wg dump} after the interface's, split at tabs. */
    static List<String[]> peers(int n) {
        List<String[]> dump = WireguardHosts.dump(cluster, n, DEV);
        return dump.isEmpty() ? dump : dump.subList(1, dump.size());
    }

    /** A WireGuard peer whose AllowedIPs is the subnet and whose endpoint is the public IP at 51820. */
    @Override
    boolean isProgrammed(TestHost host, Ip4Net peer, Ip4 peerIp) {
        return peers(host.number()).stream().anyMatch(p -> p[3].equals(peer.toString()) && p[2].equals(peerIp + ":51820"));
    }

    @Override
    boolean isRouted(TestHost host, Ip4Net peer, Ip4 peerIp) {
        return isProgrammed(host, peer, peerIp);
    }

    @Override
    boolean isGone(TestHost host, Ip4Net peer, Ip4 peerIp) {
        return peers(host.number()).stream().noneMatch(p -> p[3].equals(peer.toString()));
    }

    static JsonNode lease(int n) throws IOException {
        String out = cluster.etcdctl("get", OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(n).toKey(), "--print-value-only");
        return JSON.readTree(out.strip());
    }

    /**
     * Unlike vxlan and host-gw, a stopped wireguard agent leaves nothing in the kernel (flannel
     * deletes its device too): the device, its peers and the route go at stop, and the restarted
     * agent configures only the leases there are.
     */
    @Override
    void assertLeftByTheStoppedAgent(TestHost host3, Ip4Net ghost, Ip4 ghostIp) {
        assertThat(host3.exec("ip", "link", "show", DEV).ok()).as("flannel-wg after the agent stopped").isFalse();
        assertThat(host3.ip("route", "show", OverlayCluster.NETWORK)).isBlank();
    }

    /** The ghost is no peer after the restart: host 3's peers are hosts 1 and 2, and the tunnel to host 1 comes up. */
    @Override
    void assertHost3ReachesHost1AfterItsRestart() {
        assertThat(peers(3)).hasSize(2);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.container(3, 1).ping(cluster.containerIp(1, 1).toString(), 1));
    }

    @Test
    @Order(10)
    void theLeaseIsFlannelsFieldByFieldAndThePublicKeyIsTheKeyFiles() throws Exception {
        for (int h = 1; h <= 3; h++) {
            String raw = cluster.etcdctl("get", OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(h).toKey(), "--print-value-only").strip();
            JsonNode l = JSON.readTree(raw);
            assertThat(l.path("PublicIP").asText()).isEqualTo(cluster.host(h).underlayIp().toString());
            assertThat(l.path("BackendType").asText()).isEqualTo("wireguard");
            JsonNode data = l.path("BackendData");
            List<String> names = new ArrayList<>();
            data.fieldNames().forEachRemaining(names::add);
            assertThat(names).as("BackendData's fields, in Go's order").containsExactly("PublicKey", "Port");
            assertThat(data.path("Port").isInt()).isTrue();
            assertThat(data.path("Port").asInt()).isEqualTo(51820);
            String key = data.path("PublicKey").asText();
            assertThat(key).hasSize(44).endsWith("=");
            assertThat(raw).as("BackendData as flannel's json.Marshal writes it").contains("\"BackendData\":{\"PublicKey\":\"" + key + "\",\"Port\":51820}");
            assertThat(key).as("the public key of the key file, by wg pubkey").isEqualTo(WireguardHosts.publicKeyOfKeyFile(cluster, h));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile(h)))).isEqualTo("r--------");
            // what the device runs with: the same key, flannel's port, the PSK on every peer
            String[] itf = wg(h, null, "show", DEV, "dump").orThrow().stdout().lines().findFirst().orElseThrow().split("\t");
            assertThat(itf[1]).isEqualTo(key);
            assertThat(itf[2]).isEqualTo("51820");
            for (String[] p : peers(h)) {
                assertThat(p[1]).as("preshared key of peer %s on host %d", p[0], h).isEqualTo(PSK.toString());
            }
            // the device as flannel makes it: its name, the MTU, the subnet's address, one route for the Network
            JsonNode link = cluster.host(h).ipJson("-d", "link", "show", DEV).get(0);
            assertThat(link.path("mtu").asInt()).isEqualTo(1420);
            assertThat(cluster.host(h).ip("-4", "addr", "show", "dev", DEV)).contains("inet " + cluster.subnet(h).address() + "/32");
            assertThat(cluster.host(h).ip("route", "show", OverlayCluster.NETWORK))
                    .contains(OverlayCluster.NETWORK + " dev " + DEV + " proto 74 scope link");
        }
    }

    /** Everything the containers say to each other crosses the underlay as WireGuard UDP, nothing in clear. */
    @Test
    @Order(11)
    void theUnderlayCarriesOnlyUdpToTheListenPortAndNothingInClear() throws Throwable {
        TestHost h1 = cluster.host(1);
        List<String> tcpdump = WireguardHosts.underlayDuring(h1, "tcpdump-underlay", List.of("-v"), () -> {
            assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 3)).isTrue();
            assertThat(cluster.container(3, 2).ping(cluster.containerIp(1, 2).toString(), 3)).isTrue();
            Ip4 target = cluster.containerIp(2, 2);
            try (ServerSocketChannel server = NamespaceSockets.listen(cluster.container(2, 2), target, 5011)) {
                String[] digests = NamespaceSockets.transfer(cluster.container(1, 1), server, target, 5011, 1 << 20, Duration.ofSeconds(60));
                assertThat(digests[1]).isEqualTo(digests[0]);
            }
        });
        List<String> ipLines = tcpdump.stream().filter(l -> l.contains(" IP ") || l.startsWith("    ")).toList();
        long wireguard = ipLines.stream().filter(l -> l.matches(".*\\.51820 > .*\\.51820: UDP.*")).count();
        assertThat(wireguard).as("WireGuard datagrams seen on %s", h1.underlayInterface()).isGreaterThan(100);
        for (String l : ipLines) {
            assertThat(l).as("nothing of the overlay in clear").doesNotContain("10.244.");
        }
        List<String> other = ipLines.stream().filter(l -> l.startsWith("    ")) // tcpdump -v: the addresses line of each IP packet
                .filter(l -> !l.matches(".*\\.51820 > .*\\.51820: UDP.*") && !l.matches(".*\\.2379[ :].*")).toList();
        assertThat(other).as("IPv4 packets other than WireGuard to 51820 and etcd (2379)").isEmpty();
    }

    /** A peer set up by hand in flannel's lease format but with another PSK: it is programmed everywhere and reaches nothing. */
    @Test
    @Order(12)
    void aHostWithAnotherPskReachesNothingWhileTheRightPskWouldWork() throws Exception {
        TestHost rogue = cluster.host(ROGUE);
        Path run = cluster.hostDir(ROGUE).resolve("run-wireguard");
        List<String> start = new ArrayList<>(WireguardHosts.privateRunWireguard(run));
        start.addAll(List.of("wireguard-go", "-f", DEV));
        TestProcess wgGo = rogue.start("rogue-wireguard-go", start, Map.of("LOG_LEVEL", "error", "WG_PROCESS_FOREGROUND", "1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> rogue.exec("ip", "link", "show", DEV).ok());
        WireguardKey key = WireguardKey.generatePrivate();
        WireguardKey wrongPsk = WireguardKey.generatePrivate();
        Ip4Net subnet = Ip4Net.parse("10.244.240.0/24");
        Ip4 address = subnet.address().plus(1);
        StringBuilder conf = new StringBuilder("[Interface]\nPrivateKey = " + key + "\nListenPort = 51820\n");
        for (int h = 1; h <= 3; h++) {
            conf.append("\n[Peer]\nPublicKey = ").append(lease(h).path("BackendData").path("PublicKey").asText())
                    .append("\nPresharedKey = ").append(wrongPsk).append("\nEndpoint = ").append(cluster.host(h).underlayIp())
                    .append(":51820\nAllowedIPs = ").append(cluster.subnet(h)).append('\n');
        }
        List<String> nsenter = List.of("nsenter", "-t", Long.toString(wgGo.pid()), "-m", "-n");
        List<String> setconf = new ArrayList<>(nsenter);
        setconf.addAll(List.of("wg", "setconf", DEV, "/dev/stdin"));
        Exec.run(setconf, Map.of(), conf.toString(), Duration.ofSeconds(10)).orThrow();
        rogue.ip("addr", "add", address + "/32", "dev", DEV);
        rogue.ip("link", "set", DEV, "up");
        rogue.ip("route", "add", OverlayCluster.NETWORK, "dev", DEV);
        String leaseKey = OverlayCluster.PREFIX + "/subnets/" + subnet.toKey();
        cluster.etcdctl("put", leaseKey, "{\"PublicIP\":\"" + rogue.underlayIp() + "\",\"PublicIPv6\":null,\"BackendType\":\"wireguard\","
                + "\"BackendData\":{\"PublicKey\":\"" + key.publicKey() + "\",\"Port\":51820}}");
        try {
            for (int h = 1; h <= 3; h++) {
                TestHost host = cluster.host(h);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(() -> isProgrammed(host, subnet, rogue.underlayIp()));
            }
            assertThat(rogue.exec(Duration.ofSeconds(15), "ping", "-n", "-c", "3", "-W", "2", "-I", address.toString(),
                    cluster.containerIp(1, 1).toString()).ok()).as("rogue -> h1c1").isFalse();
            assertThat(cluster.container(2, 1).ping(address.toString(), 3)).as("h2c1 -> rogue").isFalse();
            for (int h = 1; h <= 3; h++) {
                String pub = key.publicKey().toString();
                assertThat(peers(h).stream().filter(p -> p[0].equals(pub)).findFirst().orElseThrow()[4])
                        .as("latest handshake with the rogue peer on host %d", h).isEqualTo("0");
            }
            // the control: the same peer with the cluster's PSK gets through
            List<String> fix = new ArrayList<>(nsenter);
            fix.addAll(List.of("sh", "-c", "for k in \"$@\"; do printf '%s' \"$0\" | wg set flannel-wg peer \"$k\" preshared-key /dev/stdin; done",
                    PSK.toString()));
            for (int h = 1; h <= 3; h++) {
                fix.add(lease(h).path("BackendData").path("PublicKey").asText());
            }
            Exec.run(fix, Map.of(), null, Duration.ofSeconds(10)).orThrow();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> rogue.exec(Duration.ofSeconds(5), "ping",
                    "-n", "-c", "1", "-W", "1", "-I", address.toString(), cluster.containerIp(1, 1).toString()).ok());
        } finally {
            cluster.etcdctl("del", leaseKey);
            wgGo.stop();
        }
    }

    /** A clean stop leaves nothing (device, wireguard-go); the restarted agent publishes the same key and traffic flows again. */
    @Test
    @Order(13)
    void aStoppedAgentLeavesNothingAndARestartKeepsItsKey() throws Exception {
        String before = lease(2).path("BackendData").path("PublicKey").asText();
        long wgGoPid = Long.parseLong(Files.readString(cluster.hostDir(2).resolve("data/wireguard-go.pid")).strip());
        assertThat(cluster.agent(2).stop()).isZero();
        assertThat(cluster.host(2).exec("ip", "link", "show", DEV).ok()).as("flannel-wg after stop").isFalse();
        assertThat(ProcessHandle.of(wgGoPid).map(ProcessHandle::isAlive).orElse(false)).as("wireguard-go after stop").isFalse();
        assertThat(cluster.hostDir(2).resolve("data/wireguard-go.pid")).doesNotExist();
        assertThat(cluster.host(2).ip("route", "show", OverlayCluster.NETWORK)).isBlank();

        cluster.startAgent(2);
        assertThat(lease(2).path("BackendData").path("PublicKey").asText()).isEqualTo(before);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 1));
        assertThat(cluster.container(2, 2).ping(cluster.containerIp(3, 1).toString(), 3)).isTrue();
    }

    @Test
    @Order(14)
    void aDeletedDeviceAPeerRemovedWithWgAndADeletedRouteAreRestored() {
        TestHost h1 = cluster.host(1);
        String peer2 = peers(1).stream().filter(p -> p[3].equals(cluster.subnet(2).toString())).findFirst().orElseThrow()[0];
        wg(1, null, "set", DEV, "peer", peer2, "remove").orThrow();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 1)).isFalse();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> isProgrammed(h1, cluster.subnet(2), cluster.host(2).underlayIp()));
        assertThat(cluster.agent(1).log()).contains("differ from the leases");

        h1.ip("route", "del", OverlayCluster.NETWORK, "dev", DEV);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> !h1.ip("route", "show", OverlayCluster.NETWORK).isBlank());
        assertThat(cluster.agent(1).log()).contains("the route to " + OverlayCluster.NETWORK + " via flannel-wg is missing; restoring it");

        h1.ip("link", "del", DEV);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.agent(1).log().contains("the WireGuard device flannel-wg is gone; making it again"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 1));
        assertThat(cluster.container(3, 1).ping(cluster.containerIp(1, 2).toString(), 3)).isTrue();
    }

    @Test
    @Order(15)
    void metricsShowEachPeersHandshakeAndTraffic() {
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(3, 1).toString(), 3)).isTrue();
        String m = cluster.agentHttp(1, "/metrics");
        String subnet3 = cluster.subnet(3).toString();
        String line = m.lines().filter(l -> l.startsWith("javaoverlay_tunnel_peer_latest_handshake_seconds{") && l.contains(subnet3))
                .findFirst().orElseThrow(() -> new AssertionError("no handshake series for " + subnet3 + " in:\n" + m));
        long handshake = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        assertThat(handshake).as("latest handshake with host 3, Unix seconds").isBetween(
                System.currentTimeMillis() / 1000 - 300, System.currentTimeMillis() / 1000 + 5);
        assertThat(m).containsPattern("javaoverlay_tunnel_peer_bytes_total\\{backend=\"wireguard\",direction=\"tx\",public_key=\"[^\"]+\","
                + "subnet=\"" + java.util.regex.Pattern.quote(subnet3) + "\"} [1-9]");
        // what an operator sees: javaoverlay status on host 1 shows each WireGuard peer's handshake and bytes
        String status = cluster.host(1).execOk(OverlayCluster.launcher().toString(), "status", "--healthz-port",
                Integer.toString(OverlayCluster.HEALTHZ_PORT), "--subnet-file", cluster.subnetFile(1).toString());
        assertThat(status).contains("HANDSHAKE").contains("RX/TX BYTES");
        String row = status.lines().filter(l -> l.startsWith(subnet3)).findFirst().orElseThrow(() -> new AssertionError(status));
        assertThat(row).containsPattern("wireguard\\s+(\\d+m)?\\d+s ago\\s+[1-9]\\d*/[1-9]\\d*\\s+ok .*ok ");
    }

    /** Without the kernel's WireGuard and without wireguard-go the agent stops before leasing, naming both. */
    @Test
    @Order(16)
    void withoutKernelWireguardOrWireguardGoTheAgentStopsWithAnErrorNamingBoth() throws IOException {
        TestHost h4 = cluster.host(4);
        ExecResult probe = h4.exec("ip", "link", "add", "wgprobe", "type", "wireguard");
        h4.exec("ip", "link", "del", "wgprobe");
        assertThat(probe.ok()).as("this test needs a kernel without WireGuard (here it has it: the agent would use it)").isFalse();
        Path path = NoIptablesPath.without(name -> name.equals("wireguard-go"));
        try {
            ExecResult r = h4.exec(List.of(OverlayCluster.launcher().toString(), "agent", "--etcd-endpoints", cluster.etcdUrl(),
                    "--etcd-prefix", OverlayCluster.PREFIX, "--iface", h4.underlayInterface(),
                    "--subnet-file", cluster.hostDir(4).resolve("no-wg-subnet.env").toString(),
                    "--data-dir", cluster.hostDir(4).resolve("no-wg-data").toString(), "--cni-socket=" + cluster.cniSocket(4)),
                    Map.of("PATH", path.toString(), "WIREGUARD_KEY_FILE", keyFile(4).toString()), null, Duration.ofSeconds(90));
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stdout() + r.stderr()).contains("this kernel has no WireGuard").contains("wireguard-go is not on PATH");
            assertThat(cluster.etcdctl("get", "--prefix", OverlayCluster.PREFIX + "/subnets/")).as("no lease was taken")
                    .doesNotContain("\"" + h4.underlayIp() + "\"");
            assertThat(h4.exec("ip", "link", "show", DEV).ok()).as("no device left").isFalse();
        } finally {
            NoIptablesPath.remove(path);
        }
    }
}
