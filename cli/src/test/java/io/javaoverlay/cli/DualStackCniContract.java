package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;

/**
 * Dual-stack pods made by the real CNI executable on namespace hosts of a dual-stack underlay
 * ({@code fd00:e2e::<n>/64} beside IPv4), a real etcd and the agents in dual-stack mode, run for
 * host-gw ({@link DualStackCniHostGwIT}) and vxlan ({@link DualStackCniVxlanIT}): every pod gets an
 * address of each family from its host's subnets, both gateways and routes, and the pods of every
 * pair of the three hosts reach each other with {@code ping -6} and {@code ping -4}; 4 MiB cross
 * over IPv6 intact; a late host is routed by the others within a second of its lease. CHECK verifies
 * both families, DEL frees both. The agents run without {@code --ip-masq}, so the plugin's
 * {@code ipMasq} is on: both families' traffic leaving the overlay is masqueraded by the
 * network's {@code JO-CNI-} chain (ip6tables for IPv6), which CHECK verifies and the network's
 * last DEL removes.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DualStackCniContract extends ClusterContract<OverlayCluster> {

    static final String NETWORK6 = "fc00:6::/48";

    /**
     * The backend's cluster: three hosts, no agent started by itself (each host gets its IPv6
     * underlay address and forwarding first), {@link #NETWORK6}, agents without --ip-masq
     * (FLANNEL_IPMASQ=false), so the plugin's ipMasq (both families) is on, as with flannel's plugin
     * next to a flanneld that does not masquerade.
     */
    static OverlayCluster dualStack(String backend) {
        return OverlayCluster.of(backend, 3, 0)
                .withIpv6Network(NETWORK6)
                .withAgentArgs("--ip-masq=false")
                .requiring(r -> r.command("ip6tables", "iptables").command("socat", "socat"));
    }

    /** The pods of the running class, by container ID. */
    private static final Map<String, OverlayCluster.Pod> pods = new LinkedHashMap<>();

    @BeforeAll
    static void noPodsYet() {
        pods.clear();
    }

    DualStackHosts hosts() {
        return new DualStackHosts(cluster());
    }

    void bringUp(int n) {
        hosts().prepare(n);
        cluster().startAgent(n);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> routes(Map<String, Object> result) {
        return (List<Map<String, Object>>) result.get("routes");
    }

    OverlayCluster.Pod add(int host, String id, String socket) {
        OverlayCluster.Pod pod = cluster().cniPod(host, id, socket);
        pods.put(id, pod);
        return pod;
    }

    @Test
    @Order(1)
    void aPodGetsAnAddressOfEachFamilyFromItsHostsSubnetsWithBothGatewaysAndRoutes() {
        bringUp(1);
        bringUp(2);
        OverlayCluster.Pod a = add(1, "ds-a", cluster().cniSocket(1).toString());
        add(2, "ds-b", cluster().cniSocket(2).toString());
        // the same call in a JVM of its own (no agent socket): same result
        add(1, "ds-c", "");

        for (OverlayCluster.Pod pod : pods.values()) {
            SubnetEnv env = cluster().subnetEnv(pod.host());
            Ip6Net lease6 = env.ipv6Lease().orElseThrow();
            String gw6 = Ip6Net.format(lease6.address().add(java.math.BigInteger.ONE));
            List<Map<String, Object>> ips = pod.ips();
            assertThat(ips).as("both families, IPv4 first").hasSize(2);
            Ip6Host address6 = Ip6Host.parse((String) ips.get(1).get("address"));
            assertThat(address6.prefixLength()).isEqualTo(64);
            assertThat(lease6.contains(address6.ip())).as("%s in host %d's IPv6 subnet %s", address6, pod.host(), lease6).isTrue();
            assertThat(ips.get(1).get("gateway")).isEqualTo(gw6);
            assertThat(ips.get(0).get("gateway")).isEqualTo(env.gateway().ip().toString());
            assertThat(ips.get(1).get("interface")).as("the same interface: the pod's eth0").isEqualTo(ips.get(0).get("interface"));
            assertThat(routes(pod.result())).extracting(r -> r.get("dst") + " via " + r.get("gw")).containsExactly(
                    OverlayCluster.NETWORK + " via " + env.gateway().ip(), "0.0.0.0/0 via " + env.gateway().ip(),
                    NETWORK6 + " via " + gw6, "::/0 via " + gw6);

            // what the pod has: the address usable at once (no duplicate address detection running), both routes
            JsonNode addrs = pod.ns().ipJson("-6", "addr", "show", "dev", "eth0");
            List<String> global = new ArrayList<>();
            for (JsonNode info : addrs.get(0).path("addr_info")) {
                if (info.path("scope").asText().equals("global")) {
                    global.add(info.path("local").asText() + "/" + info.path("prefixlen").asInt());
                }
            }
            assertThat(global).containsExactly(address6.toString());
            assertThat(pod.ns().ip("-6", "addr", "show", "tentative")).as("nothing tentative in the pod").isBlank();
            String routes6 = pod.ns().ip("-6", "route", "show");
            assertThat(routes6).contains("default via " + gw6 + " dev eth0").contains(NETWORK6 + " via " + gw6 + " dev eth0");
            // the host's bridge: the IPv6 gateway, nothing tentative
            TestHost h = cluster().host(pod.host());
            assertThat(h.ip("-6", "addr", "show", "dev", "cni0")).contains(gw6 + "/64");
            assertThat(h.ip("-6", "addr", "show", "dev", "cni0", "tentative")).isBlank();
        }
        assertThat(a.ip6()).isNotEqualTo(pods.get("ds-c").ip6());
    }

    @Test
    @Order(2)
    void podsOnDifferentHostsPingEachOtherOverBothFamilies() {
        OverlayCluster.Pod a = pods.get("ds-a");
        OverlayCluster.Pod b = pods.get("ds-b");
        OverlayCluster.Pod c = pods.get("ds-c");
        ExecResult six = a.ns().exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", b.ip6());
        assertThat(six.ok()).as(six.stdout() + six.stderr()).isTrue();
        assertThat(six.stdout()).contains("3 received");
        pingBothWaysOverBothFamilies(a, b);
        pingBothWaysOverBothFamilies(c, b);
        assertThat(c.ns().exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W1", a.ip6()).ok()).as("same host over IPv6").isTrue();
    }

    /** {@code x} and {@code y} reach each other with {@code ping -6} and {@code ping -4}, both ways. */
    static void pingBothWaysOverBothFamilies(OverlayCluster.Pod x, OverlayCluster.Pod y) {
        for (OverlayCluster.Pod[] pair : List.of(new OverlayCluster.Pod[] {x, y}, new OverlayCluster.Pod[] {y, x})) {
            for (String to : List.of(pair[1].ip6(), pair[1].ip().toString())) {
                ExecResult r = pair[0].ns().exec(Duration.ofSeconds(10), "ping", to.contains(":") ? "-6" : "-4", "-n", "-c1", "-W2", to);
                assertThat(r.ok()).as("ping from host %d's pod to host %d's %s: %s%s", pair[0].host(), pair[1].host(), to, r.stdout(),
                        r.stderr()).isTrue();
            }
        }
    }

    @Test
    @Order(2)
    void aTcpStreamOverIpv6ArrivesIntactAcrossHosts() throws Exception {
        OverlayCluster.Pod a = pods.get("ds-a");
        OverlayCluster.Pod b = pods.get("ds-b");
        InetAddress target = InetAddress.getByName(b.ip6());
        try (ServerSocketChannel server = NamespaceSockets.listen(b.ns(), target, 5006)) {
            String[] digests = NamespaceSockets.transfer(a.ns(), server, target, 5006, 4 << 20, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of 4 MiB over IPv6 through both bridges").isEqualTo(digests[0]);
        }
    }

    /** Host 1's network config, in spec {@code version}. */
    String confInVersion(String version) {
        String conf = cluster().cniConf(1).replace("\"cniVersion\":\"" + OverlayCluster.CNI_VERSION + "\"", "\"cniVersion\":\"" + version + "\"");
        assertThat(conf).contains("\"cniVersion\":\"" + version + "\"");
        return conf;
    }

    /** A successful ADD of container {@code id} in {@code ns} on host 1 (through its agent's socket); its result, valid in {@code version}. */
    Map<String, Object> addOnHost1(String id, TestNamespace ns, String conf, String version) {
        OverlayCluster.CniRun add = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("ADD", id, ns), conf);
        assertThat(add.exit()).as(add.toString()).isZero();
        return CniJson.assertAddResult(add.stdout(), version);
    }

    @Test
    @Order(3)
    void anOlderSpecVersionsResultNamesEachFamilyAndCheckVerifiesBoth() {
        String conf = confInVersion("0.4.0");
        TestNamespace ns = cluster().net.createNamespace("ds-old");
        Map<String, Object> result = addOnHost1("ds-old", ns, conf, "0.4.0");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ips = (List<Map<String, Object>>) result.get("ips");
        assertThat(ips).extracting(ip -> ip.get("version")).containsExactly("4", "6");

        Map<String, Object> withPrev = new LinkedHashMap<>(CniJson.parseObject(conf));
        withPrev.put("prevResult", result);
        String checkConf = new String(JsonTree.format(withPrev), StandardCharsets.UTF_8);
        for (String socket : List.of(cluster().cniSocket(1).toString(), "")) {
            OverlayCluster.CniRun check = cluster().cni(1, socket, OverlayCluster.cniEnv("CHECK", "ds-old", ns), checkConf);
            assertThat(check.exit()).as(check.toString()).isZero();
        }
        String gw6 = (String) ips.get(1).get("gateway");
        ns.ip("-6", "route", "del", "default", "via", gw6);
        OverlayCluster.CniRun check = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("CHECK", "ds-old", ns), checkConf);
        assertThat(check.exit()).as(check.toString()).isNotZero();
        Map<String, Object> error = CniJson.assertError(check.stdout(), io.javaoverlay.cni.ErrorCode.CHECK_FAILED.code());
        assertThat((String) error.get("details")).contains("route to ::/0 via " + gw6 + " is missing");

        OverlayCluster.CniRun del = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("DEL", "ds-old", ns), conf);
        assertThat(del.exit()).as(del.toString()).isZero();
        assertThat(ipamRecords(1)).doesNotContain(Ip6Host.parse((String) ips.get(1).get("address")).ipText(),
                ((String) ips.get(0).get("address")).split("/")[0]);
    }

    /**
     * A runtime still on spec 0.2.0 (flannel's plugin speaks it): the result holds one address of
     * each family with its routes ({@code "ip4"}, {@code "ip6"}), the pod reaches a pod on another
     * host over both, and DEL frees both.
     */
    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void aSpec020ResultHoldsOneAddressOfEachFamilyAndThePodReachesAnotherHostOverBoth() {
        String conf = confInVersion("0.2.0");
        TestNamespace ns = cluster().net.createNamespace("ds-020");
        Map<String, Object> result = addOnHost1("ds-020", ns, conf, "0.2.0");
        Map<String, Object> ip4 = (Map<String, Object>) result.get("ip4");
        Map<String, Object> ip6 = (Map<String, Object>) result.get("ip6");
        assertThat(cluster().subnet(1).contains(io.javaoverlay.core.net.Ip4.parse(((String) ip4.get("ip")).split("/")[0]))).isTrue();
        assertThat(cluster().lease6(1).contains(Ip6Host.parse((String) ip6.get("ip")).ip())).isTrue();
        assertThat((List<Map<String, Object>>) ip6.get("routes")).extracting(r -> r.get("dst")).containsExactly(NETWORK6, "::/0");
        assertThat((List<Map<String, Object>>) ip4.get("routes")).extracting(r -> r.get("dst"))
                .containsExactly(OverlayCluster.NETWORK, "0.0.0.0/0");
        OverlayCluster.Pod b = pods.get("ds-b");
        assertThat(ns.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W2", b.ip6()).ok()).as("ping -6 to host 2's pod").isTrue();
        assertThat(ns.exec(Duration.ofSeconds(10), "ping", "-4", "-n", "-c1", "-W2", b.ip().toString()).ok()).as("ping -4").isTrue();

        OverlayCluster.CniRun del = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("DEL", "ds-020", ns), conf);
        assertThat(del.exit()).as(del.toString()).isZero();
        assertThat(ipamRecords(1)).doesNotContain(Ip6Host.parse((String) ip6.get("ip")).ipText(), ((String) ip4.get("ip")).split("/")[0]);
    }

    /** The lines of host {@code n}'s {@code ip6tables -t nat -S} (or iptables') that the plugin's chain holds or jumps to it. */
    List<String> cniNat(int n, String tool) {
        return cluster().host(n).execOk(tool, "-t", "nat", "-S").lines()
                .filter(l -> l.contains("JO-CNI-")).toList();
    }

    String checkConf(int n, OverlayCluster.Pod pod) {
        Map<String, Object> withPrev = new LinkedHashMap<>(CniJson.parseObject(cluster().cniConf(n)));
        withPrev.put("prevResult", pod.result());
        return new String(JsonTree.format(withPrev), StandardCharsets.UTF_8);
    }

    @Test
    @Order(3)
    void ipMasqGivesAPodsIpv6TrafficLeavingTheOverlayItsHostsAddressAndKeepsItsSourceInside() {
        OverlayCluster.Pod a = pods.get("ds-a");
        OverlayCluster.Pod b = pods.get("ds-b");
        Ip6Net lease6 = cluster().lease6(1);
        List<String> nat6 = cniNat(1, "ip6tables");
        String chain = nat6.stream().filter(l -> l.startsWith("-N ")).findFirst().orElseThrow().substring(3);
        assertThat(chain).matches("JO-CNI-[0-9a-f]{8}");
        assertThat(nat6).containsExactly("-N " + chain,
                "-A POSTROUTING -m comment --comment \"javaoverlay cni " + OverlayCluster.CNI_NETWORK + "\" -j " + chain,
                "-A " + chain + " -s " + lease6 + " -d " + NETWORK6 + " -m comment --comment \"javaoverlay cni "
                        + OverlayCluster.CNI_NETWORK + "\" -j RETURN",
                "-A " + chain + " -s " + lease6 + " ! -d ff00::/8 -m comment --comment \"javaoverlay cni "
                        + OverlayCluster.CNI_NETWORK + "\" -j MASQUERADE");
        assertThat(cniNat(1, "iptables")).as("the IPv4 chain of the same name").hasSize(4).contains("-N " + chain);

        // the underlay has no route back into the overlay: only a masqueraded connection gets an answer
        cluster().net.underlay().ip("-6", "addr", "add", DualStackHosts.UNDERLAY_BRIDGE6 + "/64", "dev", "br0", "nodad");
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, a.ns(), 7401))
                .as("seen outside the overlay as host 1's IPv6 address").isEqualTo(DualStackHosts.underlay6(1));
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, b.ns(), 7402))
                .isEqualTo(DualStackHosts.underlay6(2));
        assertThat(DualStackHosts.sourceSeenBy(b.ns(), b.ip6(), a.ns(), 7403)).as("a pod on another host sees the pod's own address")
                .isEqualTo(a.ip6());
    }

    @Test
    @Order(3)
    void checkFailsOnceTheIpv6ChainIsFlushedAndTheNextAddPutsItBack() {
        OverlayCluster.Pod a = pods.get("ds-a");
        String conf = checkConf(1, a);
        OverlayCluster.CniRun ok = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("CHECK", "ds-a", a.ns()), conf);
        assertThat(ok.exit()).as(ok.toString()).isZero();
        List<String> nat6 = cniNat(1, "ip6tables");
        String chain = nat6.get(0).substring(3);
        cluster().host(1).execOk("ip6tables", "-t", "nat", "-F", chain);
        for (String socket : List.of(cluster().cniSocket(1).toString(), "")) {
            OverlayCluster.CniRun check = cluster().cni(1, socket, OverlayCluster.cniEnv("CHECK", "ds-a", a.ns()), conf);
            assertThat(check.exit()).as(check.toString()).isNotZero();
            Map<String, Object> error = CniJson.assertError(check.stdout(), io.javaoverlay.cni.ErrorCode.CHECK_FAILED.code());
            assertThat((String) error.get("details")).isEqualTo("the IPv6 masquerade rules (ip6tables) for "
                    + cluster().lease6(1) + " are missing (ipMasq is on)");
        }
        // another pod's ADD rewrites the chain; its DEL leaves it (ds-a and ds-c still use it)
        OverlayCluster.Pod m = cluster().cniPod(1, "ds-m", cluster().cniSocket(1).toString());
        assertThat(cniNat(1, "ip6tables")).isEqualTo(nat6);
        assertThat(cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("CHECK", "ds-a", a.ns()), conf).exit()).isZero();
        OverlayCluster.CniRun del = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("DEL", "ds-m", m.ns()),
                cluster().cniConf(1));
        assertThat(del.exit()).as(del.toString()).isZero();
        assertThat(cniNat(1, "ip6tables")).isEqualTo(nat6);
    }

    /** The names in host {@code n}'s IPAM directory. */
    List<String> ipamRecords(int n) {
        try (Stream<Path> files = Files.list(cluster().hostDir(n).resolve("ipam"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @Order(4)
    void aLateHostIsRoutedWithinASecondOfItsLeaseAndItsPodIsReachableWithinASecondOfItsAdd() throws Exception {
        hosts().bringUpLate(3, List.of(1, 2));
        long start = System.nanoTime();
        OverlayCluster.Pod late = add(3, "ds-late", cluster().cniSocket(3).toString());
        long added = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> pods.get("ds-a").ns().exec(Duration.ofSeconds(2), "ping", "-6", "-n", "-c1", "-W1", late.ip6()).ok());
        System.out.printf("[%s] late host: ADD took %d ms; its pod answered ping -6 from host 1 %d ms after ADD returned%n",
                getClass().getSimpleName(), (added - start) / 1_000_000, (System.nanoTime() - added) / 1_000_000);
        // with it, the pods of every pair of the three hosts reach each other in both families
        pingBothWaysOverBothFamilies(late, pods.get("ds-a"));
        pingBothWaysOverBothFamilies(late, pods.get("ds-b"));
    }

    @Test
    @Order(5)
    void delFreesBothAddressesAndLeavesNoInterface() {
        OverlayCluster.Pod b = pods.get("ds-b");
        String v6 = b.ip6();
        assertThat(ipamRecords(2)).contains(v6, b.ip().toString());
        OverlayCluster.CniRun del = cluster().cni(2, cluster().cniSocket(2).toString(), OverlayCluster.cniEnv("DEL", "ds-b", b.ns()),
                cluster().cniConf(2));
        assertThat(del.exit()).as(del.toString()).isZero();
        assertThat(ipamRecords(2)).doesNotContain(v6, b.ip().toString());
        assertThat(b.ns().ipJson("link", "show").findValuesAsText("ifname")).doesNotContain("eth0");
        assertThat(pods.get("ds-a").ns().exec(Duration.ofSeconds(5), "ping", "-6", "-n", "-c1", "-W1", v6).ok()).isFalse();
    }

    @Test
    @Order(6)
    void theNetworksLastDelOnAHostRemovesBothFamiliesMasqueradeChains() {
        assertThat(cniNat(2, "ip6tables")).as("ds-b was host 2's only pod").isEmpty();
        assertThat(cniNat(2, "iptables")).isEmpty();
        assertThat(cniNat(1, "ip6tables")).isNotEmpty();
        for (String id : List.of("ds-a", "ds-c")) {
            OverlayCluster.Pod pod = pods.get(id);
            OverlayCluster.CniRun del = cluster().cni(1, cluster().cniSocket(1).toString(), OverlayCluster.cniEnv("DEL", id, pod.ns()),
                    cluster().cniConf(1));
            assertThat(del.exit()).as(del.toString()).isZero();
        }
        assertThat(cniNat(1, "ip6tables")).isEmpty();
        assertThat(cniNat(1, "iptables")).isEmpty();
        // a DEL repeated finds nothing and succeeds
        OverlayCluster.CniRun again = cluster().cni(1, "", OverlayCluster.cniEnv("DEL", "ds-a", pods.get("ds-a").ns()), cluster().cniConf(1));
        assertThat(again.exit()).as(again.toString()).isZero();
    }
}
