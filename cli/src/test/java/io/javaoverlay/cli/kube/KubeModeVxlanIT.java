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

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.TestHost;

/**
 * javaoverlay as a drop-in for kube-flannel, with the vxlan backend: three namespace hosts, each
 * an agent process in kube mode ({@code --kube-subnet-mgr}, NODE_NAME) against one API server
 * (fabric8's mock server in CRUD mode), no etcd anywhere; a fourth host plays a flanneld node,
 * made by hand: its VXLAN device, routes, neighbours and FDB entries as flanneld makes them, and
 * its node annotated as flanneld annotates it.
 */
class KubeModeVxlanIT extends KubeModeContract {

    @RegisterExtension
    static final KubeModeCluster cluster = new KubeModeCluster("{\"Type\":\"vxlan\"}", 4, 3);

    private static final String FLANNEL_MAC = "0e:00:00:00:0a:04";

    @Test
    @Order(1)
    void everyHostLeasesItsNodesPodCidrAndAnnotatesTheNodeAsFlannelDoes() {
        for (int n = 1; n <= 3; n++) {
            TestHost h = cluster.host(n);
            assertThat(cluster.subnetEnv(n).lease()).as("host %d's lease", n).isEqualTo(KubeModeCluster.podCidr(n));
            String mac = h.ipJson("link", "show", "flannel.1").get(0).path("address").asText();
            JsonNode node = cluster.node(n);
            JsonNode a = node.path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "backend-type").asText()).isEqualTo("vxlan");
            assertThat(a.path(ANNOTATION + "backend-data").asText()).isEqualTo("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}");
            assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo(h.underlayIp().toString());
            assertThat(a.path(ANNOTATION + "kube-subnet-manager").asText()).isEqualTo("true");
            int host = n;
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                JsonNode cond = null;
                for (JsonNode c : cluster.node(host).path("status").path("conditions")) {
                    if (c.path("type").asText().equals("NetworkUnavailable")) {
                        cond = c;
                    }
                }
                assertThat(cond).as("NetworkUnavailable on node %d", host).isNotNull();
                assertThat(cond.path("status").asText()).isEqualTo("False");
                assertThat(cond.path("reason").asText()).isEqualTo("FlannelIsUp");
            });
        }
    }

    @Test
    @Order(3)
    void aNodeAnnotatedAsFlanneldAnnotatesItIsReachedAsAPeer() {
        TestHost h4 = cluster.host(4);
        Ip4Net own = KubeModeCluster.podCidr(4);
        // host 4's data path as flanneld's vxlan backend makes it
        h4.execOk("sysctl", "-qw", "net.ipv4.ip_forward=1");
        h4.ip("link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", h4.underlayIp().toString(), "dev", h4.underlayInterface(),
                "dstport", "8472", "nolearning");
        h4.ip("link", "set", "flannel.1", "address", FLANNEL_MAC);
        h4.ip("addr", "add", own.address() + "/32", "dev", "flannel.1");
        h4.ip("link", "set", "flannel.1", "mtu", "1450", "up");
        cluster.addContainers(4, 1, new Ip4Net.HostAddress(own.address().plus(1), 24), 1450);
        for (int n = 1; n <= 3; n++) {
            Ip4Net peer = KubeModeCluster.podCidr(n);
            String mac = cluster.node(n).path("metadata").path("annotations").path(ANNOTATION + "backend-data").asText()
                    .replaceAll(".*\"VtepMAC\":\"([0-9a-f:]+)\".*", "$1");
            h4.ip("neigh", "replace", peer.address().toString(), "lladdr", mac, "dev", "flannel.1", "nud", "permanent");
            h4.execOk("bridge", "fdb", "append", mac, "dev", "flannel.1", "dst", cluster.host(n).underlayIp().toString());
            h4.ip("route", "add", peer.toString(), "via", peer.address().toString(), "dev", "flannel.1", "onlink");
        }
        // ... and its node, annotated as flanneld annotates it (values only: no flanneld runs)
        cluster.annotate(4, Map.of(ANNOTATION + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + FLANNEL_MAC + "\"}",
                ANNOTATION + "backend-type", "vxlan", ANNOTATION + "kube-subnet-manager", "true",
                ANNOTATION + "public-ip", h4.underlayIp().toString()));

        for (int n = 1; n <= 3; n++) {
            int host = n;
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> cluster.routes(host, own));
        }
        assertThat(cluster.container(1).ping(KubeModeCluster.containerIp(4).toString(), 5)).as("host 1 -> flannel node").isTrue();
        assertThat(cluster.container(4).ping(KubeModeCluster.containerIp(2).toString(), 5)).as("flannel node -> host 2").isTrue();
        assertThat(cluster.container(3).ping(KubeModeCluster.containerIp(4).toString(), 5)).as("host 3 -> flannel node").isTrue();
    }

    @Test
    @Order(4)
    void deletingANodeTakesItsRoutesOffEveryOtherHost() {
        Ip4Net gone = KubeModeCluster.podCidr(4);
        cluster.deleteNode(4);
        for (int n = 1; n <= 3; n++) {
            cluster.awaitRouteGone(n, gone);
            assertThat(cluster.agent(n).log()).contains("node node-4 was deleted");
        }
        assertThat(cluster.container(1).ping(KubeModeCluster.containerIp(2).toString(), 3)).as("the others still reach each other").isTrue();
    }
}
