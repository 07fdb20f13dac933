package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;

/**
 * The dual-stack Docker contract with vxlan (#16): each host reaches the others' IPv6 subnets
 * through {@code flannel-v6.1} over the IPv6 underlay, as flannel programs a peer: a permanent
 * neighbour for the peer's VTEP address (its subnet's first address) with the MAC of its
 * {@code flannel-v6.1}, an FDB entry sending that MAC to its {@code PublicIPv6}, and an onlink
 * route via the VTEP address.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackDockerVxlanIT extends DualStackDockerContract {

    @RegisterExtension
    static final DualStackDockerCluster cluster = DualStackDockerCluster.of("{\"Type\":\"vxlan\"}");

    @Override
    DualStackDockerCluster cluster() {
        return cluster;
    }

    @Override
    int expectedMtu() {
        return 1450;
    }

    @Override
    void assertPath6(int from, int to) {
        TestHost h = cluster.testHost(from);
        Ip6Net peer = cluster.lease6(to);
        String vtep6 = Ip6Net.format(peer.address());
        String mac6 = cluster.testHost(to).ipJson("link", "show", "flannel-v6.1").get(0).path("address").asText();
        JsonNode routes = h.ipJson("-6", "route", "show", peer.toString());
        assertThat(routes).as("host %d's IPv6 routes to host %d's subnet", from, to).hasSize(1);
        JsonNode r = routes.get(0);
        assertThat(r.path("gateway").asText()).isEqualTo(vtep6);
        assertThat(r.path("dev").asText()).isEqualTo("flannel-v6.1");
        assertThat(r.path("flags").toString()).contains("onlink");
        assertThat(r.path("protocol").asText()).isEqualTo("74");
        List<String> neighbours = new ArrayList<>();
        h.ipJson("-6", "neigh", "show", "dev", "flannel-v6.1", "to", vtep6).forEach(n ->
                neighbours.add(n.path("lladdr").asText() + " " + n.path("state").toString()));
        assertThat(neighbours).as("host %d's neighbour for host %d's VTEP %s", from, to, vtep6).containsExactly(mac6 + " [\"PERMANENT\"]");
        List<String> fdb = new ArrayList<>();
        h.bridgeJson("fdb", "show", "dev", "flannel-v6.1").forEach(f -> {
            if (f.path("mac").asText().equals(mac6)) {
                fdb.add(f.path("dst").asText());
            }
        });
        assertThat(fdb).as("host %d's FDB entry for host %d's flannel-v6.1", from, to).containsExactly(DualStackDockerCluster.underlay6(to));
    }
}
