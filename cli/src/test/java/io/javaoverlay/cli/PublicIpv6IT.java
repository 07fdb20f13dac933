package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * {@code --public-ipv6} and {@code --iface <IPv6 address>} on namespace hosts on a dual-stack
 * underlay ({@link DualStackHosts}) with a real etcd and dual-stack host-gw, the agents started by
 * {@code bin/javaoverlay} as flanneld would be:
 *
 * <ul>
 *   <li>host 1 has a second underlay address {@code fd00:e2e::101} and publishes it through
 *       {@code FLANNELD_PUBLIC_IPV6}; the others route its IPv6 subnet via it;</li>
 *   <li>host 2 is told only {@code --iface fd00:e2e::2}: that picks its underlay interface, whose
 *       IPv4 address and that IPv6 address it publishes;</li>
 *   <li>host 3 first has no global IPv6 address and gets flannel's error; then it publishes
 *       {@code -public-ipv6=fd00:e2e::303}, an address it does not hold (as a host behind NAT).</li>
 * </ul>
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublicIpv6IT {

    static final String NETWORK6 = "fc00:7::/48";
    static final String HOST1_PUBLIC6 = "fd00:e2e::101";
    static final String HOST3_PUBLIC6 = "fd00:e2e::303";

    @RegisterExtension
    static final OverlayCluster cluster = DualStackHosts.withoutIpMasq("{\"Type\":\"host-gw\"}", 3, NETWORK6)
            .withHostAgentEnv(n -> n == 1 ? Map.of("FLANNELD_PUBLIC_IPV6", HOST1_PUBLIC6) : Map.of())
            .withHostIface(n -> n == 2 ? DualStackHosts.underlay6(2) : null)
            .withHostAgentArgs(n -> n == 3 ? List.of("-public-ipv6=" + HOST3_PUBLIC6) : List.of());

    static final DualStackHosts hosts = new DualStackHosts(cluster);
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Order(1)
    void anExternalInterfaceWithoutAGlobalIpv6AddressStopsTheAgentWithFlannelsError() throws Exception {
        TestHost h3 = cluster.host(3);
        h3.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        TestProcess p = h3.start("agent-no-ipv6", List.of(OverlayCluster.launcher().toString(), "agent",
                "--etcd-endpoints", cluster.etcdUrl(), "--etcd-prefix", OverlayCluster.PREFIX, "--iface", h3.underlayInterface(),
                "--subnet-file", cluster.subnetFile(3).toString(), "--data-dir", cluster.hostDir(3).resolve("data").toString(),
                "--cni-socket=" + cluster.hostDir(3).resolve("no-ipv6.sock")), Map.of());
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> !p.isAlive());
            assertThat(p.process().exitValue()).as(p.log()).isEqualTo(1);
            assertThat(p.log()).contains("cannot start: failed to find IPv6 address for interface " + h3.underlayInterface())
                    .contains("give it a global IPv6 address");
        } finally {
            p.stop();
        }
        assertThat(cluster.subnetFile(3)).as("nothing written").doesNotExist();
        assertThat(cluster.etcdctl("get", "--prefix", OverlayCluster.PREFIX + "/subnets/")).as("no lease taken")
                .doesNotContain(h3.underlayIp().toString());
        assertThat(h3.ipJson("-6", "route", "show", "proto", "74")).isEmpty();
    }

    @Test
    @Order(2)
    void publicIpv6IsPublishedAndPeersRouteViaIt() throws Exception {
        TestHost h1 = cluster.host(1);
        h1.ip("-6", "addr", "add", HOST1_PUBLIC6 + "/64", "dev", h1.underlayInterface(), "nodad");
        hosts.bringUp(1, 2);
        assertThat(hosts.leaseValue(1)).isEqualTo("{\"PublicIP\":\"" + h1.underlayIp() + "\",\"PublicIPv6\":\"" + HOST1_PUBLIC6
                + "\",\"BackendType\":\"host-gw\"}");
        JsonNode status = JSON.readTree(cluster.agentHttp(1, "/status"));
        assertThat(status.path("Lease").path("PublicIPv6").asText()).isEqualTo(HOST1_PUBLIC6);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> hosts.routesIpv6Via(2, 1, HOST1_PUBLIC6));
        assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 10)).as("ping -6 to host 1 through " + HOST1_PUBLIC6).isTrue();
        assertThat(cluster.container(1, 1).ping(hosts.containerIp6(2, 1), 10)).isTrue();
    }

    @Test
    @Order(3)
    void ifaceGivenAnIpv6AddressPicksTheInterfaceHoldingIt() throws Exception {
        TestHost h2 = cluster.host(2);
        assertThat(cluster.agent(2).log()).contains("using interface " + h2.underlayInterface() + " with address " + h2.underlayIp()
                + " (picked by its IPv6 address " + DualStackHosts.underlay6(2) + ")");
        assertThat(hosts.leaseValue(2)).as("the interface's IPv4 address and the IPv6 address --iface named")
                .isEqualTo("{\"PublicIP\":\"" + h2.underlayIp() + "\",\"PublicIPv6\":\"" + DualStackHosts.underlay6(2)
                        + "\",\"BackendType\":\"host-gw\"}");
        assertThat(JSON.readTree(cluster.agentHttp(2, "/status")).path("Lease").path("PublicIPv6").asText())
                .isEqualTo(DualStackHosts.underlay6(2));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> hosts.routesIpv6Via(1, 2, DualStackHosts.underlay6(2)));
        assertThat(cluster.container(1, 2).ping(cluster.containerIp(2, 2).toString(), 5)).as("ping -4 too").isTrue();
    }

    @Test
    @Order(4)
    void aPublicIpv6ThisHostDoesNotHoldIsPublishedAsForAHostBehindNat() {
        hosts.bringUp(3);
        TestHost h3 = cluster.host(3);
        assertThat(h3.ip("-6", "addr", "show")).as("not an address of host 3").doesNotContain(HOST3_PUBLIC6);
        assertThat(hosts.leaseValue(3)).isEqualTo("{\"PublicIP\":\"" + h3.underlayIp() + "\",\"PublicIPv6\":\"" + HOST3_PUBLIC6
                + "\",\"BackendType\":\"host-gw\"}");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> hosts.routesIpv6Via(1, 3, HOST3_PUBLIC6));
        assertThat(cluster.agent(3).log()).contains("PublicIPv6 " + HOST3_PUBLIC6 + " (--public-ipv6)");
        Ip6Net host1 = cluster.lease6(1);
        assertThat(hosts.routesIpv6Via(3, 1, HOST1_PUBLIC6)).as("host 3 routes host 1 via its --public-ipv6 too: " + host1).isTrue();
    }
}
