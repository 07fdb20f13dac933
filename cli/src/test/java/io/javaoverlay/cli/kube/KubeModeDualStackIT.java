package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
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

/**
 * Dual-stack host-gw in kube mode (#16): three namespace hosts on a dual-stack underlay
 * ({@code fd00:e2e::<n>/64} beside IPv4), each an agent with {@code --kube-subnet-mgr} against one
 * mock API server whose Nodes carry dual-stack podCIDRs. Each host's lease is its node's two
 * podCIDRs; it publishes {@code public-ipv6} and {@code backend-v6-data} as flanneld does, routes
 * the others' IPv6 podCIDRs via their {@code public-ipv6}, and containers ping each other over
 * both families. A fourth Node, annotated as flanneld's dual-stack host-gw backend annotates it
 * (no agent), is routed over IPv6 too, and dropped when its {@code public-ipv6} turns malformed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeModeDualStackIT {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.dualStack("{\"Type\":\"host-gw\"}", 4, 3);


    private static String containerIp6(int n) {
        return KubeModeCluster.containerIp6(KubeModeCluster.podCidr6(n));
    }

    /** The {@code proto 74} IPv6 route of host {@code n} to {@code subnet}, if it has one. */
    private static JsonNode route6(int n, Ip6Net subnet) {
        for (JsonNode r : cluster.host(n).ipJson("-6", "route", "show", subnet.toString())) {
            return r;
        }
        return null;
    }

    @Test
    @Order(1)
    void eachLeaseIsItsNodesTwoPodCidrsAndTheNodesCarryTheIpv6AnnotationsAsFlanneldWritesThem() {
        for (int n = 1; n <= 3; n++) {
            SubnetEnv env = cluster.subnetEnv(n);
            assertThat(env.lease()).isEqualTo(KubeModeCluster.podCidr(n));
            assertThat(env.ipv6Lease()).as("FLANNEL_IPV6_SUBNET is the node's IPv6 podCIDR").contains(KubeModeCluster.podCidr6(n));
            assertThat(env.ipv6Network()).contains(KubeModeCluster.NETWORK6);
            JsonNode a = cluster.node(n).path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "backend-type").asText()).isEqualTo("host-gw");
            assertThat(a.path(ANNOTATION + "backend-data").asText()).isEqualTo("null");
            assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).as("Go marshals host-gw's empty IPv6 data as null").isEqualTo("null");
            assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo(cluster.host(n).underlayIp().toString());
            assertThat(a.path(ANNOTATION + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(n));
            assertThat(a.path(ANNOTATION + "kube-subnet-manager").asText()).isEqualTo("true");
        }
    }

    @Test
    @Order(2)
    void eachHostRoutesTheOthersIpv6PodCidrsViaTheirPublicIpv6() throws Exception {
        for (int n = 1; n <= 3; n++) {
            for (int to = 1; to <= 3; to++) {
                if (to == n) {
                    continue;
                }
                int from = n;
                int peer = to;
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    JsonNode r = route6(from, KubeModeCluster.podCidr6(peer));
                    assertThat(r).as("host %d's route to %s", from, KubeModeCluster.podCidr6(peer)).isNotNull();
                    assertThat(r.path("gateway").asText()).isEqualTo(KubeModeCluster.underlay6(peer));
                    assertThat(r.path("dev").asText()).isEqualTo(cluster.host(from).underlayInterface());
                    assertThat(r.path("protocol").asText()).isEqualTo("74");
                });
            }
        }
        JsonNode status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cluster.agentHttp(1, "/status"));
        assertThat(status.path("Lease").path("IPv6Subnet").asText()).isEqualTo(KubeModeCluster.podCidr6(1).toString());
        assertThat(status.path("Lease").path("PublicIPv6").asText()).isEqualTo(KubeModeCluster.underlay6(1));
    }

    @Test
    @Order(3)
    void containersOnEveryHostPingEachOtherOverBothFamilies() {
        cluster.assertContainersPingEachOtherOverBothFamilies();
    }

    @Test
    @Order(4)
    void aNodeAnnotatedAsFlanneldsDualStackHostGwIsRoutedAndDroppedWhenItsIpv6AnnotationTurnsMalformed() {
        Ip6Net four6 = KubeModeCluster.podCidr6(4);
        // what flanneld's AcquireLease writes for host-gw with a PublicIPv6 (pkg/subnet/kube/kube.go, v0.28)
        cluster.annotate(4, Map.of(ANNOTATION + "backend-type", "host-gw", ANNOTATION + "backend-data", "null",
                ANNOTATION + "backend-v6-data", "null", ANNOTATION + "public-ip", cluster.host(4).underlayIp().toString(),
                ANNOTATION + "public-ipv6", KubeModeCluster.underlay6(4), ANNOTATION + "kube-subnet-manager", "true"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            JsonNode r = route6(1, four6);
            assertThat(r).isNotNull();
            assertThat(r.path("gateway").asText()).isEqualTo(KubeModeCluster.underlay6(4));
        });
        // host 2 follows the node on its own watch: it may get there a moment after host 1
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(cluster.routes(2, KubeModeCluster.podCidr(4))).isTrue());

        cluster.annotate(4, Map.of(ANNOTATION + "public-ipv6", "fd00:e2e::zz"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> route6(1, four6) == null && !cluster.routes(1, KubeModeCluster.podCidr(4)));
        assertThat(cluster.agentHttp(1, "/metrics")).contains("javaoverlay_kube_nodes_skipped_total{reason=\"bad-public-ipv6\"} 1.0");
        assertThat(cluster.agent(1).log()).contains("skipped node node-4: " + ANNOTATION + "public-ipv6 \"fd00:e2e::zz\" is not an IPv6 address");
        assertThat(cluster.container(1, 1).ping(containerIp6(2), 3)).as("the others are untouched").isTrue();
    }

    @Test
    @Order(5)
    void deletingANodeTakesBothItsRoutesOffTheOthers() {
        cluster.deleteNode(3);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> route6(1, KubeModeCluster.podCidr6(3)) == null && route6(2, KubeModeCluster.podCidr6(3)) == null);
        cluster.awaitRouteGone(1, KubeModeCluster.podCidr(3));
        cluster.awaitRouteGone(2, KubeModeCluster.podCidr(3));
        assertThat(cluster.container(1, 1).ping(containerIp6(2), 3)).isTrue();
    }
}
