package io.javaoverlay.cli.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * IPv6-only host-gw in kube mode (#16), as flanneld runs it with {@code "EnableIPv4": false}: each
 * node annotated with {@code backend-data} and {@code backend-v6-data} {@code null} and
 * {@code public-ip} {@code 0.0.0.0} beside its {@code public-ipv6}; the peers' IPv6 podCIDRs routed
 * via their {@code public-ipv6}, nothing else.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KubeModeIpv6OnlyHostGwIT extends KubeModeIpv6OnlyContract {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.ipv6Only("{\"Type\":\"host-gw\"}", HOSTS, 3);

    @Override
    KubeModeCluster cluster() {
        return cluster;
    }

    @Override
    String backendType() {
        return "host-gw";
    }

    @Override
    void assertBackendAnnotations(int n, JsonNode a) {
        assertThat(a.path(P + "backend-data").asText()).isEqualTo("null");
        assertThat(a.path(P + "backend-v6-data").asText()).isEqualTo("null");
        assertThat(a.path(P + "public-ip").asText()).as("flannel's zero PublicIP").isEqualTo("0.0.0.0");
        assertThat(cluster.subnetEnv(n).mtu()).as("host-gw: the underlay's MTU").isEqualTo(1500);
    }

    @Override
    void assertPath6(int from, int to) {
        JsonNode r = cluster.host(from).ipJson("-6", "route", "show", KubeModeCluster.podCidr6(to).toString()).get(0);
        assertThat(r.path("gateway").asText()).isEqualTo(KubeModeCluster.underlay6(to));
        assertThat(r.path("dev").asText()).isEqualTo(cluster.host(from).underlayInterface());
        assertThat(r.path("protocol").asText()).isEqualTo("74");
    }

    @Override
    Map<String, String> flanneldAnnotations(int n, String publicIpv6) {
        return Map.of(P + "backend-type", "host-gw", P + "backend-data", "null", P + "backend-v6-data", "null",
                P + "public-ip", "0.0.0.0", P + "public-ipv6", publicIpv6, P + "kube-subnet-manager", "true");
    }
}
