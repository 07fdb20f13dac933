package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/**
 * Namespace hosts of an {@link OverlayCluster} on a dual-stack underlay: each host's underlay
 * interface gets {@code fd00:e2e::<n>/64} beside its IPv4 address, its bridge and containers get
 * IPv6 addresses from the host's {@code FLANNEL_IPV6_SUBNET} (the CNI and Docker faces give IPv4
 * only so far, docs/ipv6.md).
 */
final class DualStackHosts {

    /** The underlay's own namespace gets this address on its bridge: a place outside the overlay. */
    static final String UNDERLAY_BRIDGE6 = "fd00:e2e::fe";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final OverlayCluster cluster;

    DualStackHosts(OverlayCluster cluster) {
        this.cluster = cluster;
    }

    /**
     * {@code hosts} hosts of a dual-stack network with {@code network6}, checked for ip6tables, of
     * which none starts an agent by itself (each host gets its IPv6 underlay address first:
     * {@link #bringUp}); their agents run without --ip-masq (which the cluster gives every agent).
     */
    static OverlayCluster withoutIpMasq(String backendJson, int hosts, String network6) {
        return OverlayCluster.of(backendJson, hosts, 0).withIpv6Network(network6).withAgentArgs("--ip-masq=false")
                .requiring(r -> r.command("ip6tables", "iptables"));
    }

    static String underlay6(int n) {
        return "fd00:e2e::" + n;
    }

    /** Hosts {@code ns} on the dual-stack underlay, one after the other, each with its agent ready, its bridge and containers on both families. */
    void bringUp(int... ns) {
        for (int n : ns) {
            prepare(n);
            cluster.startAgent(n);
            addContainers(n);
        }
    }

    /** Host {@code n}'s IPv6 underlay address ({@link #underlay6}) and IPv6 forwarding, before its agent starts. */
    void prepare(int n) {
        TestHost h = cluster.host(n);
        h.ip("-6", "addr", "add", underlay6(n) + "/64", "dev", h.underlayInterface(), "nodad");
        h.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
    }

    /**
     * Brings host {@code n} up late, as {@link #prepare} and its agent (no containers: {@link
     * #addContainers} next if wanted), timing its IPv6 half as the other hosts see it: from its
     * dual-stack key appearing in etcd ({@link LeaseWatch}) until each of {@code others} routes its
     * IPv6 subnet ({@link PeerPaths#routed6}, every 2 ms). Asserts
     * the second and returns the milliseconds, host by host.
     */
    long[] bringUpLate(int n, List<Integer> others) throws Exception {
        // the poll's netlink read once before the clock runs (its first use in this JVM loads the native code)
        PeerPaths.routed6(cluster.host(others.get(0)), cluster.lease6(others.get(0)));
        try (LeaseWatch watch = LeaseWatch.start(cluster.net.underlay(), cluster.etcdUrl(), OverlayCluster.PREFIX)) {
            prepare(n);
            // its own thread: the common pool may have a single worker on a small machine
            ExecutorService starter = Executors.newSingleThreadExecutor();
            Future<TestProcess> agent = starter.submit(() -> cluster.startAgent(n));
            starter.shutdown();
            LeaseWatch.Put put = watch.awaitPut("\"PublicIPv6\":\"" + underlay6(n) + "\"");
            assertThat(put.subnet6()).as("host %d's lease is dual-stack", n).isNotNull();
            long[] after = PeerPaths.millisUntil(others, put.seenNanos(), h -> PeerPaths.routed6(cluster.host(h), put.subnet6()));
            long slowest = PeerPaths.slowest(after);
            // when the agents themselves logged the new IPv6 peer, by their log's clock
            List<String> logged = others.stream().map(h -> put.loggedIn(cluster.agent(h).log(), put.subnet6())).toList();
            System.out.printf("late host %d's IPv6 subnet %s routed by hosts %s within %d ms of its lease appearing in etcd (%s ms;"
                    + " the agents logged the peer at %s)%n", n, put.subnet6(), others, slowest, java.util.Arrays.toString(after), logged);
            assertThat(slowest).as("milliseconds from host %d's lease to its IPv6 route on hosts %s", n, others).isLessThanOrEqualTo(1000);
            agent.get(90, TimeUnit.SECONDS);
            assertThat(cluster.lease6(n)).as("the lease host %d's subnet.env holds", n).isEqualTo(put.subnet6());
            return after;
        }
    }

    /** Host {@code n}'s containers, with an IPv6 address each from its FLANNEL_IPV6_SUBNET beside the IPv4 one. */
    void addContainers(int n) {
        TestHost h = cluster.host(n);
        cluster.addContainers(n);
        SubnetEnv env = cluster.subnetEnv(n);
        Ip6Net lease6 = env.ipv6Lease().orElseThrow();
        h.ip("-6", "addr", "add", env.ipv6Subnet().orElseThrow(), "dev", "cni0", "nodad");
        for (int c = 1; c <= OverlayCluster.CONTAINERS_PER_HOST; c++) {
            TestNamespace ns = cluster.container(n, c);
            ns.ip("-6", "addr", "add", containerIp6(lease6, c) + "/" + lease6.prefixLength(), "dev", "eth0", "nodad");
            ns.ip("-6", "route", "add", "default", "via", gateway6(lease6), "dev", "eth0");
        }
        // as the reference CNI bridge plugin does before it returns: wait until IPv6 duplicate address
        // detection is over on the host's and the containers' links (a link-local address still
        // tentative holds up neighbour discovery for a second or two)
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                h.ip("-6", "addr", "show", "tentative").isBlank() && cluster.containers(n).stream()
                        .allMatch(c -> c.ip("-6", "addr", "show", "tentative").isBlank()));
    }

    /**
     * Container 1 of host 1 pings container 1 of hosts 2 and 3 over IPv6, and container 2 pings
     * their container 2 over IPv4, after waiting up to 15 s for the first IPv6 path.
     */
    void containersOfHost1PingTheOthersOverBothFamilies() {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> cluster.container(1, 1)
                .exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", containerIp6(2, 1)).ok());
        for (int to = 2; to <= 3; to++) {
            assertThat(cluster.container(1, 1).ping(containerIp6(to, 1), 5)).as("ping -6 host 1 -> host %d", to).isTrue();
            assertThat(cluster.container(1, 2).ping(cluster.containerIp(to, 2).toString(), 5)).as("ping -4 host 1 -> host %d", to).isTrue();
        }
    }

    /**
     * On hosts 1 to 3, container 1 pings container 2 of every other host over IPv6 and container
     * 2 pings container 1 over IPv4, after waiting up to 15 s for the first IPv6 path.
     */
    void everyHostsContainersPingTheOthersOverBothFamilies() {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> cluster.container(1, 1)
                .exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", containerIp6(2, 1)).ok());
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from != to) {
                    assertThat(cluster.container(from, 1).ping(containerIp6(to, 2), 5)).as("ping -6 host %d -> host %d", from, to).isTrue();
                    assertThat(cluster.container(from, 2).ping(cluster.containerIp(to, 1).toString(), 5)).as("ping -4 host %d -> host %d", from, to)
                            .isTrue();
                }
            }
        }
    }

    /** Gives the underlay's bridge {@link #UNDERLAY_BRIDGE6}; it has no route into the overlay. */
    void addUnderlayBridgeAddress() {
        cluster.net.underlay().ip("-6", "addr", "add", UNDERLAY_BRIDGE6 + "/64", "dev", "br0", "nodad");
    }

    /** A dual-stack lease value, parsed, once its fields are checked to be flannel's LeaseAttrs' in the Go struct's order. */
    static JsonNode inFlannelsFieldOrder(String leaseValue) throws IOException {
        JsonNode parsed = JSON.readTree(leaseValue);
        List<String> fields = new ArrayList<>();
        parsed.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("PublicIP", "PublicIPv6", "BackendType", "BackendData", "BackendV6Data");
        return parsed;
    }

    /** Host {@code n}'s dual-stack lease key in etcd: both subnets, flannel's form. */
    String leaseKey(int n) {
        return OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(n).toKey() + "&" + cluster.lease6(n).toKey();
    }

    /** Host {@code n}'s dual-stack lease value in etcd (at {@link #leaseKey}). */
    String leaseValue(int n) {
        return cluster.etcdctl("get", "--print-value-only", leaseKey(n)).strip();
    }

    /** Whether host {@code on} routes host {@code peer}'s IPv6 subnet via {@code gateway} on its underlay, marked as javaoverlay's. */
    boolean routesIpv6Via(int on, int peer, String gateway) {
        TestHost h = cluster.host(on);
        for (JsonNode r : h.ipJson("-6", "route", "show", cluster.lease6(peer).toString())) {
            if (r.path("gateway").asText().equals(gateway) && r.path("dev").asText().equals(h.underlayInterface())
                    && r.path("protocol").asText().equals("74")) {
                return true;
            }
        }
        return false;
    }

    static String gateway6(Ip6Net lease6) {
        return Ip6Net.format(lease6.address().add(BigInteger.ONE));
    }

    static String containerIp6(Ip6Net lease6, int c) {
        return Ip6Net.format(lease6.address().add(BigInteger.valueOf(c + 1)));
    }

    String containerIp6(int n, int c) {
        return containerIp6(cluster.lease6(n), c);
    }

    /**
     * Connects over TCP from {@code from} to a socat listener on {@code serverIp6} in {@code server}
     * that answers with the address it saw the connection come from; that address in Go's
     * {@code net.IP} form (socat writes it in full).
     */
    static String sourceSeenBy(TestNamespace server, String serverIp6, TestNamespace from, int port) {
        String seen = NamespaceSockets.peerAddressSeenBy(server, "peer-echo6-" + port, "TCP6-LISTEN:" + port + ",bind=[" + serverIp6 + "]", from,
                "TCP6:[" + serverIp6 + "]:" + port);
        return Ip6Net.format(Ip6Net.parseAddress(seen.replace("[", "").replace("]", "")));
    }
}
