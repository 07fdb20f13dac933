package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.TrafficSample;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;

/**
 * IPv6-only host-gw in kube mode (#16), as flanneld runs it with {@code "EnableIPv4": false}: each
 * node annotated with {@code backend-data} and {@code backend-v6-data} {@code null} and
 * {@code public-ip} {@code 0.0.0.0} beside its {@code public-ipv6}; the peers' IPv6 podCIDRs routed
 * via their {@code public-ipv6}, nothing else.
 */
class KubeModeIpv6OnlyHostGwIT extends KubeModeIpv6OnlyContract {

    @RegisterExtension
    static final KubeModeCluster cluster = KubeModeCluster.ipv6Only("{\"Type\":\"host-gw\"}", HOSTS, 3);

    @Override
    void assertBackendAnnotations(int n, JsonNode a) {
        assertThat(a.path(ANNOTATION + "backend-data").asText()).isEqualTo("null");
        assertThat(a.path(ANNOTATION + "backend-v6-data").asText()).isEqualTo("null");
        assertThat(a.path(ANNOTATION + "public-ip").asText()).as("flannel's zero PublicIP").isEqualTo("0.0.0.0");
        assertThat(cluster.subnetEnv(n).mtu()).as("host-gw: the underlay's MTU").isEqualTo(1500);
    }

    @Override
    void assertPath6(int from, int to) {
        JsonNode r = cluster.host(from).ipJson("-6", "route", "show", KubeModeCluster.podCidr6(to).toString()).get(0);
        assertThat(r.path("gateway").asText()).isEqualTo(KubeModeCluster.underlay6(to));
        assertThat(r.path("dev").asText()).isEqualTo(cluster.host(from).underlayInterface());
        assertThat(r.path("protocol").asText()).isEqualTo("74");
    }

    /**
     * host-gw counts its traffic in ip6tables alone here (HostGwAccounting: one pair of mangle
     * chains per family the network has): IPv6-only traffic shows on /metrics, and no iptables
     * chain is made.
     */
    @Test
    @Order(20)
    void ipv6OnlyTrafficIsCountedInIp6tablesAndOnMetrics() {
        TestHost h1 = cluster.host(1);
        assertThat(h1.execOk("ip6tables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-TX")).contains("-A JAVAOVERLAY-HOSTGW-TX -d "
                + KubeModeCluster.NETWORK6 + " -o " + h1.underlayInterface());
        assertThat(h1.execOk("ip6tables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-RX")).contains("-A JAVAOVERLAY-HOSTGW-RX -s "
                + KubeModeCluster.NETWORK6 + " -i " + h1.underlayInterface());
        assertThat(h1.execOk("iptables-save", "-t", "mangle")).as("no IPv4 accounting chain").doesNotContain("JAVAOVERLAY-HOSTGW");
        TrafficSample before = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "host-gw");
        ExecResult six = cluster.pod(1).ns().exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c5", "-i0.2", "-W1", cluster.pod(2).ip6());
        assertThat(six.stdout()).as(six.stdout() + six.stderr()).contains("5 received");
        TrafficSample moved = TrafficSample.of(cluster.agentHttp(1, "/metrics"), "host-gw").minus(before);
        assertThat(moved.txPackets()).as("echo requests to host 2 on /metrics").isGreaterThanOrEqualTo(5);
        assertThat(moved.rxPackets()).as("echo replies from host 2 on /metrics").isGreaterThanOrEqualTo(5);
        assertThat(moved.txBytes()).as("ICMPv6 echo of 64 bytes in IPv6: 104 bytes each").isGreaterThanOrEqualTo(5 * 104);
    }

    @Override
    Map<String, String> flanneldAnnotations(int n, String publicIpv6) {
        return Map.of(ANNOTATION + "backend-type", "host-gw", ANNOTATION + "backend-data", "null", ANNOTATION + "backend-v6-data", "null",
                ANNOTATION + "public-ip", "0.0.0.0", ANNOTATION + "public-ipv6", publicIpv6, ANNOTATION + "kube-subnet-manager", "true");
    }
}
