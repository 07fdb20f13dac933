package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * IPv6-only vxlan in kube mode (#16), as flanneld runs it with {@code "EnableIPv4": false}: only
 * {@code flannel-v6.1}, each node's {@code backend-v6-data} its VNI and MAC, no {@code backend-data}
 * or {@code public-ip}; peers through {@code flannel-v6.1} by an onlink route to their VTEP.
 */
class KubeModeIpv6OnlyVxlanIT extends KubeModeIpv6OnlyContract {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.ipv6Only("{\"Type\":\"vxlan\"}", HOSTS, 3);

    @Override
    void assertBackendAnnotations(int n, JsonNode a) {
        String mac6 = cluster.host(n).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
        assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).isEqualTo("{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}");
        assertThat(a.has(ANNOTATION + "backend-data")).as("flanneld writes no backend-data for vxlan without IPv4").isFalse();
        assertThat(a.has(ANNOTATION + "public-ip")).isFalse();
        assertThat(cluster.subnetEnv(n).mtu()).as("flannel's FLANNEL_MTU: the underlay's 1500 minus 50").isEqualTo(1450);
        assertThat(cluster.host(n).ipJson("link", "show", "flannel-v6.1").get(0).path("mtu").asInt())
                .as("flannel asks 1500 - 50 for flannel-v6.1; the kernel caps a VXLAN device over IPv6 at 1500 - 70").isEqualTo(1430);
    }

    @Override
    void assertPath6(int from, int to) {
        JsonNode r = cluster.host(from).ipJson("-6", "route", "show", KubeModeCluster.podCidr6(to).toString()).get(0);
        assertThat(r.path("dev").asText()).isEqualTo("flannel-v6.1");
        assertThat(r.path("flags").toString()).contains("onlink");
        String mac6 = cluster.host(to).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
        assertThat(cluster.host(from).execOk("bridge", "fdb", "show", "dev", "flannel-v6.1"))
                .contains(mac6 + " dst " + KubeModeCluster.underlay6(to));
    }

    @Override
    Map<String, String> flanneldAnnotations(int n, String publicIpv6) {
        return Map.of(ANNOTATION + "backend-type", "vxlan", ANNOTATION + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:f4:04:01\"}",
                ANNOTATION + "public-ipv6", publicIpv6, ANNOTATION + "kube-subnet-manager", "true");
    }

    /**
     * A node publishing host 1's {@code flannel-v6.1} MAC: host 1 takes a new one and publishes it on its node,
     * the other hosts follow, and host 1's pod is reached again.
     */
    @Test
    @Order(9)
    void aNodeCopyingThisHostsIpv6VtepMacMakesItChooseANewOneAndPublishIt() {
        String mac = cluster.host(1).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
        cluster.annotate(4, Map.of(ANNOTATION + "public-ipv6", KubeModeCluster.underlay6(4), ANNOTATION + "backend-v6-data",
                "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            String now = cluster.host(1).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
            assertThat(now).isNotEqualTo(mac);
            assertThat(cluster.node(1).path("metadata").path("annotations").path(ANNOTATION + "backend-v6-data").asText())
                    .isEqualTo("{\"VNI\":1,\"VtepMAC\":\"" + now + "\"}");
        });
        assertThat(cluster.agentHttp(1, "/metrics")).contains("javaoverlay_vtep_mac_collisions_total 1.0");
        String six = cluster.pod(1).ip6();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() ->
                cluster.pod(2).ns().exec(Duration.ofSeconds(3), "ping", "-6", "-n", "-c1", "-W1", six).ok());
        assertThat(cluster.pod(3).ns().ping(six, 3)).isTrue();
        assertThat(cluster.pod(LATE).ns().ping(six, 3)).as("the late host follows too").isTrue();
    }
}
