package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.testkit.ExecResult;

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
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from == to) {
                    continue;
                }
                String six = KubeModeCluster.containerIp6(KubeModeCluster.podCidr6(to));
                ExecResult r6 = cluster.container(from, 1).exec(Duration.ofSeconds(15), "ping", "-6", "-n", "-c3", "-i0.2", "-W2", six);
                assertThat(r6.stdout()).as("ping -6 host %d -> host %d: %s%s", from, to, r6.stdout(), r6.stderr()).contains("3 received");
                ExecResult r4 = cluster.container(from, 1).exec(Duration.ofSeconds(15), "ping", "-4", "-n", "-c3", "-i0.2", "-W2",
                        KubeModeCluster.containerIp(to).toString());
                assertThat(r4.stdout()).as("ping -4 host %d -> host %d: %s%s", from, to, r4.stdout(), r4.stderr()).contains("3 received");
            }
        }
    }
}
