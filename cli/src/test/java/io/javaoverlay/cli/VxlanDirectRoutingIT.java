package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.TestHost;

/**
 * vxlan with {@code "DirectRouting": true}: hosts on one L2 segment reach each other's subnets
 * with a plain route via the peer's public IP, as host-gw would, and nothing goes through the
 * VXLAN device (which still exists, for peers elsewhere).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VxlanDirectRoutingIT {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\",\"DirectRouting\":true}", 2, 2);

    @Test
    void peersOnTheSameSegmentAreRoutedDirectlyAndReachable() {
        TestHost h1 = cluster.host(1);
        Ip4Net peer = cluster.subnet(2);
        JsonNode route = h1.ipJson("route", "show", peer.toString()).get(0);
        assertThat(route.path("gateway").asText()).isEqualTo(cluster.host(2).underlayIp().toString());
        assertThat(route.path("dev").asText()).isEqualTo(h1.underlayInterface());
        assertThat(h1.ipJson("neigh", "show", "dev", "flannel.1")).as("no VTEP entries for a direct peer").isEmpty();
        assertThat(h1.bridgeJson("fdb", "show", "dev", "flannel.1").findValues("dst")).isEmpty();
        assertThat(h1.ipJson("link", "show", "flannel.1").get(0).path("mtu").asInt()).isEqualTo(1450);

        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 2).toString(), 5)).isTrue();
        assertThat(cluster.container(2, 1).ping(cluster.containerIp(1, 2).toString(), 5)).isTrue();
    }
}
