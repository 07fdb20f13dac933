package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.WireguardHosts;
import io.javaoverlay.core.net.Ip6Net;

/**
 * IPv6-only wireguard in kube mode (#16), as flanneld runs it with {@code "EnableIPv4": false} and
 * Mode separate: only {@code flannel-wg-v6} (here on wireguard-go), each node annotated with
 * {@code backend-v6-data} {@code {"PublicKey":...,"Port":51821}} beside {@code backend-data}
 * {@code null} and {@code public-ip} {@code 0.0.0.0}; every peer on {@code flannel-wg-v6} at
 * {@code [public-ipv6]:51821} with its IPv6 podCIDR as its AllowedIPs.
 */
class KubeModeIpv6OnlyWireguardIT extends KubeModeIpv6OnlyContract {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.ipv6Only("{\"Type\":\"wireguard\"}", HOSTS, 3);

    /** A key flanneld's node 4 publishes (any valid Curve25519 public key). */
    private static final String FLANNELD_KEY = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    /** The peer lines of {@code wg show flannel-wg-v6 dump} on host {@code n}: key, psk, endpoint, AllowedIPs, ... */
    private static List<String[]> peers6(int n) {
        List<String[]> d = WireguardHosts.dump(cluster, n, "flannel-wg-v6");
        return d.isEmpty() ? d : d.subList(1, d.size());
    }

    @Override
    void assertBackendAnnotations(int n, JsonNode a) {
        String key = WireguardHosts.wg(cluster, n, null, "show", "flannel-wg-v6", "public-key").stdout().strip();
        assertThat(key).hasSize(44);
        assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).isEqualTo("{\"PublicKey\":\"" + key + "\",\"Port\":51821}");
        assertThat(a.path(ANNOTATION + "backend-data").asText()).as("flanneld writes wireguard's empty BackendData as null").isEqualTo("null");
        assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo("0.0.0.0");
        assertThat(cluster.subnetEnv(n).mtu()).as("wireguard: the underlay's 1500 minus 80").isEqualTo(1420);
    }

    @Override
    void assertPath6(int from, int to) {
        assertThat(peers6(from)).as("host %d's flannel-wg-v6 peers", from).anySatisfy(p -> {
            assertThat(p[2]).isEqualTo("[" + KubeModeCluster.underlay6(to) + "]:51821");
            assertThat(p[3]).isEqualTo(KubeModeCluster.podCidr6(to).toString());
        });
        JsonNode r = cluster.host(from).ipJson("-6", "route", "show", KubeModeCluster.NETWORK6).get(0);
        assertThat(r.path("dev").asText()).isEqualTo("flannel-wg-v6");
    }

    /** wireguard routes the whole IPv6Network through flannel-wg-v6: a peer's path is its AllowedIPs there. */
    @Override
    boolean routes6(int from, Ip6Net subnet) {
        return peers6(from).stream().anyMatch(p -> Arrays.asList(p[3].split(",")).contains(subnet.toString()));
    }

    @Override
    Map<String, String> flanneldAnnotations(int n, String publicIpv6) {
        return Map.of(ANNOTATION + "backend-type", "wireguard", ANNOTATION + "backend-data", "null", ANNOTATION + "public-ip", "0.0.0.0",
                ANNOTATION + "backend-v6-data", "{\"PublicKey\":\"" + FLANNELD_KEY + "\",\"Port\":51821}",
                ANNOTATION + "public-ipv6", publicIpv6, ANNOTATION + "kube-subnet-manager", "true");
    }
}
