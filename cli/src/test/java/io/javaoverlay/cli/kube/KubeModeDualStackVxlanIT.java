package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;


/**
 * Dual-stack vxlan in kube mode (#16): the same dual-stack cluster as {@link KubeModeDualStackIT}
 * with the vxlan backend. Each node's {@code backend-v6-data} is the {@code flannel-v6.1}
 * device's VNI and MAC as flanneld writes them, and containers ping each other over both families
 * through both VXLAN devices.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeModeDualStackVxlanIT {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.dualStack("{\"Type\":\"vxlan\"}", 3, 3);


    @Test
    @Order(1)
    void theNodesCarryBothDevicesBackendDataAndPublicAddressesAsFlanneldWritesThem() {
        for (int n = 1; n <= 3; n++) {
            String mac = cluster.host(n).ipJson("link", "show", "flannel.1").get(0).path("address").asText();
            String mac6 = cluster.host(n).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
            assertThat(mac6).isNotEqualTo(mac);
            JsonNode a = cluster.node(n).path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "backend-type").asText()).isEqualTo("vxlan");
            assertThat(a.path(ANNOTATION + "backend-data").asText()).isEqualTo("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}");
            assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).isEqualTo("{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}");
            assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo(cluster.host(n).underlayIp().toString());
            assertThat(a.path(ANNOTATION + "public-ipv6").asText()).isEqualTo(KubeModeCluster.underlay6(n));
            assertThat(cluster.subnetEnv(n).ipv6Lease()).contains(KubeModeCluster.podCidr6(n));
        }
    }

    @Test
    @Order(2)
    void containersOnEveryHostPingEachOtherOverBothFamilies() {
        cluster.assertContainersPingEachOtherOverBothFamilies();
    }
}
