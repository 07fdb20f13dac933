package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.cli.AgentCluster;
import io.javaoverlay.cli.AgentCluster.Pod;
import io.javaoverlay.cli.ClusterContract;
import io.javaoverlay.cli.PeerPaths;
import io.javaoverlay.cli.NamespaceSockets;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Parallel;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/**
 * An IPv6-only cluster in kube mode (#16): three namespace hosts whose underlay interfaces have no
 * IPv4 address, each an agent with {@code --kube-subnet-mgr} against one mock API server (reached over
 * IPv6) whose Nodes have only an IPv6 podCIDR, and {@code "EnableIPv4": false}. Each backend's test
 * class says what its hosts program and publish; this contract checks what a user of either sees:
 * subnet.env and the node annotations as flanneld v0.28 writes them for an IPv6-only network, nothing
 * IPv4 made on any host, pods attached by the real CNI executable with only an IPv6 address that reach
 * each other with {@code ping -6} and carry a TCP stream intact, a late host routed by every other
 * host within a second of its annotations, and a fourth Node (no agent) that is routed while its
 * annotations are good and dropped, counted and logged when they turn hostile; a fifth Node without
 * the IPv6 half is skipped.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class KubeModeIpv6OnlyContract extends ClusterContract<KubeModeCluster> {

    /** Hosts 1-3 run agents from the start; Nodes 4 and 5 stand for flanneld's nodes (no agent); host 6 joins late. */
    static final int HOSTS = 6;
    static final int LATE = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The backend's name in the annotations ({@code vxlan}, {@code host-gw}): its configured type. */
    String backendType() {
        return cluster().backendType();
    }

    /** Host {@code n}'s annotations beside backend-type, public-ipv6 and kube-subnet-manager, as flanneld writes them IPv6-only. */
    abstract void assertBackendAnnotations(int n, JsonNode annotations);

    /** Host {@code from}'s IPv6 path to host {@code to}'s podCIDR is there, as this backend makes it. */
    abstract void assertPath6(int from, int to);

    /** The annotations of a Node that flanneld runs IPv6-only with this backend, publishing {@code publicIpv6}. */
    abstract Map<String, String> flanneldAnnotations(int n, String publicIpv6);

    /**
     * Whether host {@code from} has a path to {@code subnet}: {@link PeerPaths#routed6} (wireguard: the
     * peer's AllowedIPs). The rest of the path ({@link #assertPath6}) is in place by then.
     */
    boolean routes6(int from, Ip6Net subnet) {
        return PeerPaths.routed6(cluster().host(from), subnet);
    }

    /**
     * What the CNI executable gave {@code pod} on an IPv6-only host, in its result and in the kernel: one
     * IPv6 address from the host's podCIDR with the bridge's first address as gateway, the IPv6Network's
     * route and the IPv6 default route through it, the FLANNEL_MTU on eth0, and no IPv4 address or route
     * in the pod or on the bridge.
     */
    void assertIpv6OnlyPod(Pod pod) {
        int n = pod.host();
        Ip6Net lease6 = KubeModeCluster.podCidr6(n);
        String gw6 = Ip6Net.format(lease6.address().add(BigInteger.ONE));
        assertThat(pod.ips()).as("host %d's pod: one IPv6 address, nothing IPv4", n).singleElement().satisfies(ip -> {
            assertThat(ip.get("address")).isEqualTo(pod.ip6() + "/64");
            assertThat(ip.get("gateway")).isEqualTo(gw6);
        });
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> routes = (List<Map<String, Object>>) pod.result().get("routes");
        assertThat(routes).extracting(r -> r.get("dst") + " via " + r.get("gw"))
                .containsExactly(KubeModeCluster.NETWORK6 + " via " + gw6, "::/0 via " + gw6);
        TestNamespace ns = pod.ns();
        assertThat(ns.ip("-4", "addr", "show", "dev", "eth0")).as("no IPv4 address in host %d's pod", n).isBlank();
        assertThat(ns.ip("-4", "route", "show")).as("no IPv4 route in host %d's pod", n).isBlank();
        assertThat(ns.ip("-6", "addr", "show", "dev", "eth0", "tentative")).as("nothing tentative").isBlank();
        assertThat(ns.ip("-6", "route", "show")).contains("default via " + gw6 + " dev eth0")
                .contains(KubeModeCluster.NETWORK6 + " via " + gw6 + " dev eth0");
        assertThat(ns.ipJson("link", "show", "eth0").get(0).path("mtu").asInt()).as("eth0's MTU: FLANNEL_MTU")
                .isEqualTo(cluster().subnetEnv(n).mtu());
        TestHost h = cluster().host(n);
        assertThat(h.ip("-4", "addr", "show", "dev", HostDefaults.BRIDGE)).as("no IPv4 address on host %d's bridge", n).isBlank();
        assertThat(h.ip("-6", "addr", "show", "dev", HostDefaults.BRIDGE)).contains(gw6 + "/64");
    }

    @Test
    @Order(1)
    void subnetEnvAndTheNodesAreIpv6OnlyAsFlanneldWritesThem() throws IOException {
        for (int n = 1; n <= 3; n++) {
            String raw = Files.readString(cluster().subnetFile(n));
            assertThat(raw).as("host %d's subnet.env", n).doesNotContain("FLANNEL_NETWORK=").doesNotContain("FLANNEL_SUBNET=")
                    .contains("FLANNEL_IPV6_NETWORK=" + KubeModeCluster.NETWORK6 + "\n")
                    .contains("FLANNEL_IPV6_SUBNET=" + Ip6Net.format(KubeModeCluster.podCidr6(n).address().add(java.math.BigInteger.ONE))
                            + "/64\n")
                    .contains("FLANNEL_IPMASQ=true\n");
            SubnetEnv env = cluster().subnetEnv(n);
            assertThat(env.ipv6Lease()).contains(KubeModeCluster.podCidr6(n));
            assertThat(env.ipv4Lease()).isEmpty();
            JsonNode a = cluster().node(n).path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "backend-type").asText()).isEqualTo(backendType());
            assertThat(a.path(ANNOTATION + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(n));
            assertThat(a.path(ANNOTATION + "kube-subnet-manager").asText()).isEqualTo("true");
            assertBackendAnnotations(n, a);
        }
    }

    @Test
    @Order(2)
    void eachHostHasTheOthersIpv6PathsAndNothingIpv4() throws IOException {
        for (int n = 1; n <= 3; n++) {
            for (int to = 1; to <= 3; to++) {
                if (to != n) {
                    int from = n;
                    int peer = to;
                    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertPath6(from, peer));
                }
            }
            TestHost h = cluster().host(n);
            assertThat(h.ip("-4", "addr", "show", "dev", h.underlayInterface())).as("host %d's underlay has no IPv4 address", n).isBlank();
            assertThat(h.ipJson("link", "show", "type", "vxlan")).as("host %d: no flannel.<VNI>", n)
                    .noneMatch(l -> l.path("ifname").asText().equals("flannel.1"));
            assertThat(h.ip("-4", "route", "show", "proto", "74")).as("host %d: no IPv4 route of the agent", n).isBlank();
            assertThat(h.ipJson("link", "show")).as("host %d: no flannel-wg", n).noneMatch(l -> l.path("ifname").asText().equals("flannel-wg"));
            assertThat(h.ip("-4", "route", "show", "table", "all", "dev", h.underlayInterface())).isBlank();
            assertThat(h.execOk("iptables-save")).as("host %d: no iptables rule", n).doesNotContain("FLANNEL");
            assertThat(h.execOk("sysctl", "-n", "net.ipv4.ip_forward").strip()).as("host %d: IPv4 forwarding left off", n).isEqualTo("0");
            String ip6 = h.execOk("ip6tables-save");
            assertThat(ip6).as("host %d: masquerade and forward rules in ip6tables", n)
                    .contains("-A FLANNEL-POSTRTG -s " + KubeModeCluster.podCidr6(n) + " -d " + KubeModeCluster.NETWORK6)
                    .contains("-A FLANNEL-FWD -s " + KubeModeCluster.NETWORK6);
        }
        JsonNode status = JSON.readTree(cluster().agentHttp(1, "/status"));
        assertThat(status.path("Ready").asBoolean()).isTrue();
        assertThat(status.path("Lease").path("IPv6Subnet").asText()).isEqualTo(KubeModeCluster.podCidr6(1).toString());
        assertThat(status.path("Lease").path("PublicIPv6").asText()).isEqualTo(KubeModeCluster.underlay6(1));
        assertThat(status.path("Lease").has("Subnet")).isFalse();
        assertThat(status.path("Peers").asInt()).isEqualTo(2);
        JsonNode peers = JSON.readTree(cluster().agentHttp(1, "/peers"));
        assertThat(peers).hasSize(2).allSatisfy(p -> assertThat(p.has("Subnet")).isFalse());
        assertThat(peers).extracting(p -> p.path("IPv6Subnet").asText())
                .containsExactly(KubeModeCluster.podCidr6(2).toString(), KubeModeCluster.podCidr6(3).toString());
        assertThat(cluster().agentHttp(1, "/metrics")).contains("javaoverlay_lease_info{backend=\"" + backendType() + "\",public_ip=\""
                + KubeModeCluster.underlay6(1) + "\",subnet=\"" + KubeModeCluster.podCidr6(1) + "\"} 1.0");
    }

    @Test
    @Order(3)
    void podsAttachedByTheCniPluginHaveOnlyIpv6AndPingEachOtherAcrossEveryPairOfHosts() throws Exception {
        for (int n = 1; n <= 3; n++) {
            assertIpv6OnlyPod(cluster().attachPod(n, "v6pod-" + n, cluster().cniSocket(n).toString()));
            assertThat(cluster().agent(n).log()).as("host %d's agent served the ADD", n).contains("CNI ADD v6pod-" + n + " ");
        }
        // CHECK with each pod's result as prevResult: what the runtime validates the attachment with
        for (int n = 1; n <= 3; n++) {
            Pod pod = cluster().pod(n);
            Map<String, Object> conf = new LinkedHashMap<>(CniJson.parseObject(cluster().cniConf(n)));
            conf.put("prevResult", pod.result());
            AgentCluster.CniRun check = cluster().cni(n, cluster().cniSocket(n).toString(),
                    AgentCluster.cniEnv("CHECK", "v6pod-" + n, pod.ns()), new String(JsonTree.format(conf), StandardCharsets.UTF_8));
            assertThat(check.exit()).as("CHECK on host %d: %s", n, check).isZero();
        }

        List<Callable<String>> pings = new ArrayList<>();
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from != to) {
                    TestNamespace source = cluster().pod(from).ns();
                    String six = cluster().pod(to).ip6();
                    String what = "ping -6 host " + from + " -> host " + to + ": ";
                    pings.add(() -> {
                        ExecResult r = source.exec(Duration.ofSeconds(15), "ping", "-6", "-n", "-c3", "-i0.2", "-W2", six);
                        return r.stdout().contains("3 received") ? null : what + r.stdout() + r.stderr();
                    });
                }
            }
        }
        assertThat(Parallel.all(pings).stream().filter(f -> f != null).toList())
                .as("pairs of hosts whose pods do not answer each other's ping -6").isEmpty();
        ExecResult four = cluster().pod(1).ns().exec(Duration.ofSeconds(5), "ping", "-4", "-n", "-c1", "-W1", "10.244.2.2");
        assertThat(four.ok()).as("the pods have no IPv4 at all").isFalse();
    }

    /**
     * {@code javaoverlay status} on host 1, as an operator runs it: the lease and both peers, probed over
     * IPv6 on the underlay and through the overlay (at the peers' bridges, which their first pod made).
     */
    @Test
    @Order(4)
    void javaoverlayStatusShowsTheIpv6OnlyLeaseAndReachesBothPeersOverIpv6() throws IOException {
        List<String> statusCommand = List.of(KubeModeCluster.launcher().toString(), "status", "--healthz-port",
                Integer.toString(KubeModeCluster.HEALTHZ_PORT), "--subnet-file", cluster().subnetFile(1).toString());
        ExecResult table = cluster().host(1).exec(statusCommand, Map.of(), null, Duration.ofSeconds(30));
        assertThat(table.stdout()).as(table.stdout() + table.stderr()).contains("lease:      " + KubeModeCluster.podCidr6(1) + "  public IPv6 "
                + KubeModeCluster.underlay6(1) + "  backend " + backendType()).contains("(IPv6 only)")
                .contains("FLANNEL_IPV6_SUBNET=").containsPattern(KubeModeCluster.podCidr6(2) + " +" + KubeModeCluster.underlay6(2) + " +"
                        + backendType() + " .* ok [\\d.]+ ms +ok [\\d.]+ ms");
        assertThat(table.exitCode()).as(table.stdout()).isZero();
        List<String> json = new ArrayList<>(statusCommand);
        json.add("--json");
        JsonNode report = JSON.readTree(cluster().host(1).exec(json, Map.of(), null, Duration.ofSeconds(30)).stdout());
        assertThat(report.path("Peers")).hasSize(2).allSatisfy(p -> {
            assertThat(p.path("IPv6Subnet").asText()).startsWith("fd00:10:244:");
            assertThat(p.path("Underlay").path("Reachable").asBoolean()).isTrue();
            assertThat(p.path("Overlay").path("Reachable").asBoolean()).as(p.toString()).isTrue();
        });
    }

    @Test
    @Order(5)
    void aTcpStreamBetweenPodsOnTwoHostsArrivesIntactOverIpv6() throws Exception {
        // vxlan: the pods' MTU is FLANNEL_MTU (1450), flannel-v6.1's 1430 (an IPv6 underlay): TCP settles on the path MTU
        InetAddress target = InetAddress.getByName(cluster().pod(2).ip6());
        try (ServerSocketChannel server = NamespaceSockets.listen(cluster().pod(2).ns(), target, 5006)) {
            String[] digests = NamespaceSockets.transfer(cluster().pod(1).ns(), server, target, 5006, 4 << 20, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of the 4 MiB host 2's pod received from host 1's over IPv6").isEqualTo(digests[0]);
        }
    }

    @Test
    @Order(6)
    void aLateHostIsRoutedByEveryHostWithinASecondOfItsAnnotationsAndItsPodAnswersPing6() throws Exception {
        Ip6Net subnet = KubeModeCluster.podCidr6(LATE);
        Future<TestProcess> agent = Parallel.start("start-agent-" + LATE, () -> cluster().startAgent(LATE));
        // the moment its lease appears: its agent's annotations on its Node, as an API client sees them
        routes6(1, KubeModeCluster.podCidr6(2)); // the poll's netlink read once before the clock runs (the first loads native code)
        cluster().awaitAnnotation(LATE, ANNOTATION + "public-ipv6", KubeModeCluster.underlay6(LATE), Duration.ofSeconds(90));
        long leaseSeen = System.nanoTime();

        long[] routedAfterMillis = PeerPaths.millisUntil(List.of(1, 2, 3), leaseSeen, n -> routes6(n, subnet));
        for (int n = 1; n <= 3; n++) {
            assertPath6(n, LATE);
        }
        long slowest = PeerPaths.slowest(routedAfterMillis);

        agent.get(90, TimeUnit.SECONDS);
        long ready = System.nanoTime();
        Pod late = cluster().attachPod(LATE, "v6pod-late", cluster().cniSocket(LATE).toString());
        long added = System.nanoTime();
        assertIpv6OnlyPod(late);
        assertThat(cluster().agent(LATE).log()).as("the late host's agent served the ADD").contains("CNI ADD v6pod-late ");
        List<Callable<Long>> pings = new ArrayList<>();
        for (int h = 1; h <= 3; h++) {
            int n = h;
            pings.add(() -> {
                await().atMost(Duration.ofSeconds(1)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(() ->
                        cluster().pod(n).ns().exec(Duration.ofSeconds(2), "ping", "-6", "-n", "-c1", "-W1", late.ip6()).ok());
                return (System.nanoTime() - added) / 1_000_000;
            });
        }
        long lastAnswer = Parallel.all(pings).stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("[%s] late host %d (%s) routed on hosts 1-3 within %d ms of its node's annotations appearing (%d, %d, %d ms);"
                + " its agent ready at %d ms, its pod's ADD took %d ms, and the pod answered ping -6 from hosts 1-3 %d ms after ADD"
                + " returned (%d ms after the annotations)%n", getClass().getSimpleName(), LATE, subnet, slowest, routedAfterMillis[0],
                routedAfterMillis[1], routedAfterMillis[2], (ready - leaseSeen) / 1_000_000, (added - ready) / 1_000_000, lastAnswer,
                (added - leaseSeen) / 1_000_000 + lastAnswer);
        assertThat(slowest).as("milliseconds from host %d's annotations to its path on every host", LATE).isLessThanOrEqualTo(1000);
        assertThat(late.ns().ping(cluster().pod(2).ip6(), 3)).as("the late host's pod -> host 2's").isTrue();
    }

    @Test
    @Order(7)
    void aFlanneldNodeIsRoutedAndDroppedCountedAndLoggedWhenItsPublicIpv6TurnsHostile() {
        Ip6Net four6 = KubeModeCluster.podCidr6(4);
        cluster().annotate(4, flanneldAnnotations(4, KubeModeCluster.underlay6(4)));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> routes6(1, four6) && routes6(2, four6));

        // a PublicIPv6 inside the overlay: its tunnel packets (or host-gw's next hop) would be routed into the overlay
        String hostile = Ip6Net.format(KubeModeCluster.podCidr6(9).address().add(java.math.BigInteger.ONE));
        cluster().annotate(4, Map.of(ANNOTATION + "public-ipv6", hostile));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> !routes6(1, four6) && !routes6(2, four6));
        assertThat(cluster().agentHttp(1, "/metrics")).contains("javaoverlay_leases_rejected_total{reason=\"bad-public-ip\"} 1.0");
        assertThat(cluster().agent(1).log()).contains("PublicIPv6 " + hostile + " is inside the overlay IPv6Network " + KubeModeCluster.NETWORK6);

        // a node with no IPv6 half at all (an IPv4 flanneld's annotations): skipped by every host, counted
        cluster().annotate(5, Map.of(ANNOTATION + "backend-type", backendType(), ANNOTATION + "backend-data", "null",
                ANNOTATION + "public-ip", "192.0.2.5", ANNOTATION + "kube-subnet-manager", "true"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(cluster().agentHttp(1, "/metrics")).contains("javaoverlay_kube_nodes_skipped_total{reason=\"no-public-ipv6\"}"));
        assertThat(cluster().agent(1).log())
                .contains("skipped node node-5: it has no " + ANNOTATION + "public-ipv6 annotation (the network is IPv6-only)");
        assertThat(routes6(1, KubeModeCluster.podCidr6(5))).isFalse();
        assertThat(cluster().pod(1).ns().ping(cluster().pod(2).ip6(), 3)).as("the others are untouched").isTrue();
    }

    @Test
    @Order(8)
    void annotationsSomeoneRemovesFromANodeAreWrittenBackByItsAgent() throws IOException {
        JsonNode before = cluster().node(2).path("metadata").path("annotations");
        java.util.Map<String, String> removal = new java.util.HashMap<>();
        removal.put(ANNOTATION + "public-ipv6", null);
        removal.put(ANNOTATION + "backend-v6-data", null);
        cluster().annotate(2, removal);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode a = cluster().node(2).path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(2));
            assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).isEqualTo(before.path(ANNOTATION + "backend-v6-data").asText());
        });
        assertThat(JSON.readTree(cluster().agentHttp(2, "/status")).path("StoreEvents").toString())
                .contains("lease " + KubeModeCluster.podCidr6(2) + " was gone from the store: put it back");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> cluster().pod(1).ns()
                .exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", cluster().pod(2).ip6()).ok());
    }
}
