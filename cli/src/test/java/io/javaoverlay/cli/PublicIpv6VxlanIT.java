package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;

/**
 * Dual-stack vxlan with {@code --public-ipv6} and {@code --iface <IPv6 address>}: as in flannel's
 * vxlan backend ({@code createVXLANDevice} takes {@code ExtV6Addr}), the published
 * {@code PublicIPv6} is the source address of {@code flannel-v6.<VNI>}, and the peers' FDB
 * entries send to it. Host 1 publishes its second underlay address {@code fd00:e2e::101};
 * host 2 is told only {@code --iface fd00:e2e::2}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublicIpv6VxlanIT {

    static final String NETWORK6 = "fc00:8::/48";
    static final String HOST1_PUBLIC6 = "fd00:e2e::101";

    @RegisterExtension
    static final OverlayCluster cluster = DualStackHosts.withoutIpMasq("{\"Type\":\"vxlan\"}", 2, NETWORK6)
            .withHostAgentArgs(n -> n == 1 ? List.of("--public-ipv6", HOST1_PUBLIC6) : List.of())
            .withHostIface(n -> n == 2 ? DualStackHosts.underlay6(2) : null)
            .requiring(r -> r.command("bridge", "iproute2"));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    static String local6(TestHost h) {
        JsonNode data = h.ipJson("-d", "link", "show", "flannel-v6.1").get(0).path("linkinfo").path("info_data");
        return data.path("local6").asText();
    }

    static List<String> fdbDestinations(TestHost h) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : h.bridgeJson("fdb", "show", "dev", "flannel-v6.1")) {
            if (f.has("dst")) {
                out.add(f.path("dst").asText());
            }
        }
        return out;
    }

    @Test
    @Order(1)
    void theIpv6DevicesSendFromThePublishedPublicIpv6() {
        TestHost h1 = cluster.host(1);
        h1.ip("-6", "addr", "add", HOST1_PUBLIC6 + "/64", "dev", h1.underlayInterface(), "nodad");
        hosts.bringUp(1, 2);
        assertThat(local6(h1)).as("--public-ipv6 is flannel-v6.1's source").isEqualTo(HOST1_PUBLIC6);
        assertThat(local6(cluster.host(2))).as("the address --iface named").isEqualTo(DualStackHosts.underlay6(2));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> fdbDestinations(cluster.host(2)).equals(List.of(HOST1_PUBLIC6)));
        assertThat(fdbDestinations(h1)).containsExactly(DualStackHosts.underlay6(2));
        String value = hosts.leaseValue(1);
        assertThat(value).startsWith("{\"PublicIP\":\"" + h1.underlayIp() + "\",\"PublicIPv6\":\"" + HOST1_PUBLIC6 + "\",");
    }

    @Test
    @Order(2)
    void containersPingAcrossTheTunnelOverBothFamilies() {
        assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 10)).as("ping -6 to host 1").isTrue();
        ExecResult six = cluster.container(1, 1).exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1",
                hosts.containerIp6(2, 1));
        assertThat(six.stdout()).as(six.stderr()).contains("3 received");
        assertThat(cluster.container(1, 2).ping(cluster.containerIp(2, 2).toString(), 5)).as("ping -4").isTrue();
    }
}
