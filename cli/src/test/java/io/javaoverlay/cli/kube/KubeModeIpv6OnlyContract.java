package io.javaoverlay.cli.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;

/**
 * An IPv6-only cluster in kube mode (#16): three namespace hosts whose underlay interfaces have no
 * IPv4 address, each an agent with {@code --kube-subnet-mgr} against one mock API server (reached over
 * IPv6) whose Nodes have only an IPv6 podCIDR, and {@code "EnableIPv4": false}. Each backend's test
 * class says what its hosts program and publish; this contract checks what a user of either sees:
 * subnet.env and the node annotations as flanneld v0.28 writes them for an IPv6-only network, nothing
 * IPv4 made on any host, containers that reach each other with {@code ping -6}, and a fourth Node
 * (no agent) that is routed while its annotations are good and dropped, counted and logged when they
 * turn hostile; a fifth Node without the IPv6 half is skipped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class KubeModeIpv6OnlyContract {

    static final String P = "flannel.alpha.coreos.com/";
    private static final ObjectMapper JSON = new ObjectMapper();

    abstract KubeModeCluster cluster();

    /** The backend's name in the annotations ({@code vxlan}, {@code host-gw}). */
    abstract String backendType();

    /** Host {@code n}'s annotations beside backend-type, public-ipv6 and kube-subnet-manager, as flanneld writes them IPv6-only. */
    abstract void assertBackendAnnotations(int n, JsonNode annotations);

    /** Host {@code from}'s IPv6 path to host {@code to}'s podCIDR is there, as this backend makes it. */
    abstract void assertPath6(int from, int to);

    /** The annotations of a Node that flanneld runs IPv6-only with this backend, publishing {@code publicIpv6}. */
    abstract Map<String, String> flanneldAnnotations(int n, String publicIpv6);

    /** Whether host {@code from} has a path to {@code subnet}: any IPv6 route to it (wireguard: the peer's AllowedIPs). */
    boolean routes6(int from, Ip6Net subnet) {
        return cluster().host(from).ipJson("-6", "route", "show", subnet.toString()).size() > 0;
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
            assertThat(a.path(P + "backend-type").asText()).isEqualTo(backendType());
            assertThat(a.path(P + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(n));
            assertThat(a.path(P + "kube-subnet-manager").asText()).isEqualTo("true");
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

        // javaoverlay status on host 1, as an operator runs it: the lease and both peers, probed over IPv6
        List<String> statusCommand = List.of(KubeModeCluster.launcher().toString(), "status", "--healthz-port",
                Integer.toString(KubeModeCluster.HEALTHZ_PORT), "--subnet-file", cluster().subnetFile(1).toString());
        ExecResult table = cluster().host(1).exec(statusCommand, Map.of(), null, Duration.ofSeconds(30));
        assertThat(table.stdout()).as(table.stdout() + table.stderr()).contains("lease:      " + KubeModeCluster.podCidr6(1) + "  public IPv6 "
                + KubeModeCluster.underlay6(1) + "  backend " + backendType()).contains("(IPv6 only)")
                .contains("FLANNEL_IPV6_SUBNET=").containsPattern(KubeModeCluster.podCidr6(2) + " +" + KubeModeCluster.underlay6(2) + " +"
                        + backendType() + " .* ok [\\d.]+ ms +ok [\\d.]+ ms");
        assertThat(table.exitCode()).as(table.stdout()).isZero();
        List<String> json = new java.util.ArrayList<>(statusCommand);
        json.add("--json");
        JsonNode report = JSON.readTree(cluster().host(1).exec(json, Map.of(), null, Duration.ofSeconds(30)).stdout());
        assertThat(report.path("Peers")).hasSize(2).allSatisfy(p -> {
            assertThat(p.path("IPv6Subnet").asText()).startsWith("fd00:10:244:");
            assertThat(p.path("Underlay").path("Reachable").asBoolean()).isTrue();
            assertThat(p.path("Overlay").path("Reachable").asBoolean()).as(p.toString()).isTrue();
        });
    }

    @Test
    @Order(3)
    void containersOnEveryHostPingEachOtherOverIpv6() {
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from != to) {
                    String six = KubeModeCluster.containerIp6(KubeModeCluster.podCidr6(to));
                    ExecResult r = cluster().container6(from).exec(Duration.ofSeconds(15), "ping", "-6", "-n", "-c3", "-i0.2", "-W2", six);
                    assertThat(r.stdout()).as("ping -6 host %d -> host %d: %s%s", from, to, r.stdout(), r.stderr()).contains("3 received");
                }
            }
        }
        ExecResult four = cluster().container6(1).exec(Duration.ofSeconds(5), "ping", "-4", "-n", "-c1", "-W1", "10.244.2.2");
        assertThat(four.ok()).as("the containers have no IPv4 at all").isFalse();
    }

    @Test
    @Order(4)
    void aFlanneldNodeIsRoutedAndDroppedCountedAndLoggedWhenItsPublicIpv6TurnsHostile() {
        Ip6Net four6 = KubeModeCluster.podCidr6(4);
        cluster().annotate(4, flanneldAnnotations(4, KubeModeCluster.underlay6(4)));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> routes6(1, four6) && routes6(2, four6));

        // a PublicIPv6 inside the overlay: its tunnel packets (or host-gw's next hop) would be routed into the overlay
        String hostile = Ip6Net.format(KubeModeCluster.podCidr6(9).address().add(java.math.BigInteger.ONE));
        cluster().annotate(4, Map.of(P + "public-ipv6", hostile));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> !routes6(1, four6) && !routes6(2, four6));
        assertThat(cluster().agentHttp(1, "/metrics")).contains("javaoverlay_leases_rejected_total{reason=\"bad-public-ip\"} 1.0");
        assertThat(cluster().agent(1).log()).contains("PublicIPv6 " + hostile + " is inside the overlay IPv6Network " + KubeModeCluster.NETWORK6);

        // a node with no IPv6 half at all (an IPv4 flanneld's annotations): skipped by every host, counted
        cluster().annotate(5, Map.of(P + "backend-type", backendType(), P + "backend-data", "null", P + "public-ip", "192.0.2.5",
                P + "kube-subnet-manager", "true"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(cluster().agentHttp(1, "/metrics")).contains("javaoverlay_kube_nodes_skipped_total{reason=\"no-public-ipv6\"}"));
        assertThat(cluster().agent(1).log()).contains("skipped node node-5: it has no " + P + "public-ipv6 annotation (the network is IPv6-only)");
        assertThat(routes6(1, KubeModeCluster.podCidr6(5))).isFalse();
        assertThat(cluster().container6(1).ping(KubeModeCluster.containerIp6(KubeModeCluster.podCidr6(2)), 3)).as("the others are untouched")
                .isTrue();
    }

    @Test
    @Order(5)
    void annotationsSomeoneRemovesFromANodeAreWrittenBackByItsAgent() throws IOException {
        JsonNode before = cluster().node(2).path("metadata").path("annotations");
        java.util.Map<String, String> removal = new java.util.HashMap<>();
        removal.put(P + "public-ipv6", null);
        removal.put(P + "backend-v6-data", null);
        cluster().annotate(2, removal);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode a = cluster().node(2).path("metadata").path("annotations");
            assertThat(a.path(P + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(2));
            assertThat(a.path(P + "backend-v6-data").asText()).isEqualTo(before.path(P + "backend-v6-data").asText());
        });
        assertThat(JSON.readTree(cluster().agentHttp(2, "/status")).path("StoreEvents").toString())
                .contains("lease " + KubeModeCluster.podCidr6(2) + " was gone from the store: put it back");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> cluster().container6(1)
                .exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", KubeModeCluster.containerIp6(KubeModeCluster.podCidr6(2))).ok());
    }
}
