package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The dual-stack Docker contract with host-gw (#16): each host routes the others' IPv6 subnets via
 * their {@code PublicIPv6} on the underlay interface, marked as javaoverlay's ({@code proto 74}).
 * The published ports on IPv6 are {@link DualStackDockerIT}'s.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackDockerHostGwIT extends DualStackDockerContract {

    @RegisterExtension
    static final DualStackDockerCluster cluster = DualStackDockerCluster.of("{\"Type\":\"host-gw\"}");

    @Override
    DualStackDockerCluster cluster() {
        return cluster;
    }

    @Override
    int expectedMtu() {
        return 1500;
    }

    @Override
    void assertPath6(int from, int to) {
        JsonNode routes = cluster.testHost(from).ipJson("-6", "route", "show", cluster.lease6(to).toString());
        assertThat(routes).as("host %d's IPv6 routes to host %d's subnet", from, to).hasSize(1);
        JsonNode r = routes.get(0);
        assertThat(r.path("gateway").asText()).isEqualTo(DualStackDockerCluster.underlay6(to));
        assertThat(r.path("dev").asText()).isEqualTo(cluster.testHost(from).underlayInterface());
        assertThat(r.path("protocol").asText()).isEqualTo("74");
    }
}
