package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;

/** The host-gw backend across namespace hosts: one plain route per peer, via its public IP. */
class HostGwDataPathIT extends DataPathContract {

    @RegisterExtension
    static final OverlayCluster cluster = clusterOf("{\"Type\":\"host-gw\"}");

    @Override
    boolean isProgrammed(TestHost host, Ip4Net peer, Ip4 peerIp) {
        for (JsonNode r : host.ipJson("route", "show", peer.toString())) {
            if (r.path("gateway").asText().equals(peerIp.toString()) && r.path("dev").asText().equals(host.underlayInterface())) {
                return true;
            }
        }
        return false;
    }

    @Override
    boolean isGone(TestHost host, Ip4Net peer, Ip4 peerIp) {
        return !hasRoute(host, peer);
    }

    @Test
    @Order(10)
    void aRouteDeletedUnderneathIsRestored() {
        TestHost h1 = cluster.host(1);
        Ip4Net peer = cluster.subnet(2);
        h1.ip("route", "del", peer.toString());
        // no ping in between: the kernel reports the deletion and the route is back in well under a second
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> isProgrammed(h1, peer, cluster.host(2).underlayIp()));
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).isTrue();
        assertThat(cluster.agent(1).log()).contains("is missing; restoring it");
    }

    /**
     * The kernel reports a deleted route and the agent restores it at once, where its full check
     * runs only every 30 s: three deletions in a row, each back within 2 s (checked every 5 s, as
     * before, most would take longer). Then the underlay interface goes down, which takes every
     * route through it without a message per route, and up: the routes are back within 2 s.
     */
    @Test
    @Order(11)
    void deletedRoutesAndRoutesLostWithTheUnderlayLinkAreBackWithinTwoSeconds() {
        TestHost h1 = cluster.host(1);
        Ip4Net peer = cluster.subnet(2);
        Ip4 peerIp = cluster.host(2).underlayIp();
        for (int i = 0; i < 3; i++) {
            assertRestoredWithinTwoSeconds(h1, peer, peerIp, "a deleted route", () -> h1.ip("route", "del", peer.toString()));
        }
        String iface = h1.underlayInterface();
        h1.ip("link", "set", iface, "down");
        await().atMost(Duration.ofSeconds(2)).until(() -> !isProgrammed(h1, peer, peerIp));
        h1.ip("link", "set", iface, "up");
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> isProgrammed(h1, peer, peerIp) && isProgrammed(h1, cluster.subnet(3), cluster.host(3).underlayIp()));
        System.out.printf("host-gw: routes were back %d ms after the underlay link came up%n", (System.nanoTime() - t0) / 1_000_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 1));
    }

    /**
     * host-gw counts its traffic in two mangle chains of rules without a target (see
     * HostGwAccounting); they only count, and someone flushing them gets them back at the next check.
     */
    @Test
    @Order(12)
    void trafficIsCountedInAccountingChainsThatAreRestoredWhenFlushed() {
        TestHost h1 = cluster.host(1);
        String iface = h1.underlayInterface();
        String tx = "-A JAVAOVERLAY-HOSTGW-TX -d " + OverlayCluster.NETWORK + " -o " + iface
                + " -m comment --comment \"javaoverlay host-gw to peers\"";
        String rx = "-A JAVAOVERLAY-HOSTGW-RX -s " + OverlayCluster.NETWORK + " -i " + iface
                + " -m comment --comment \"javaoverlay host-gw from peers\"";
        assertThat(h1.execOk("iptables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-TX").lines().toList()).containsExactly(
                "-N JAVAOVERLAY-HOSTGW-TX", tx);
        assertThat(h1.execOk("iptables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-RX").lines().toList()).containsExactly(
                "-N JAVAOVERLAY-HOSTGW-RX", rx);
        assertThat(h1.execOk("iptables", "-t", "mangle", "-S", "POSTROUTING").lines().toList().get(1))
                .as("the jump comes first").contains("-j JAVAOVERLAY-HOSTGW-TX");

        h1.execOk("iptables", "-t", "mangle", "-F", "JAVAOVERLAY-HOSTGW-TX");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> cluster.agent(1).log()
                .contains("host-gw accounting chains JAVAOVERLAY-HOSTGW-TX and JAVAOVERLAY-HOSTGW-RX were missing or changed; restored them"));
        assertThat(h1.execOk("iptables", "-t", "mangle", "-S", "JAVAOVERLAY-HOSTGW-TX")).contains(tx);
        // counting again from 0: a ping shows up on host 1's /metrics
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 3)).isTrue();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300)).until(() -> cluster.agentHttp(1, "/metrics")
                .lines().anyMatch(l -> l.matches("javaoverlay_backend_packets_total\\{backend=\"host-gw\",direction=\"tx\"} [1-9].*")));
    }

    @Test
    @Order(11)
    void refusesToRunBehindNatWithAClearMessage() {
        TestHost h4 = cluster.host(4);
        ExecResult r = h4.exec(List.of(OverlayCluster.launcher().toString(), "agent", "--etcd-endpoints", cluster.etcdUrl(),
                "--etcd-prefix", OverlayCluster.PREFIX, "--iface", h4.underlayInterface(), "--public-ip", "192.0.2.44",
                "--subnet-file", cluster.hostDir(4).resolve("nat-subnet.env").toString(),
                "--data-dir", cluster.hostDir(4).resolve("nat-data").toString(), "--cni-socket=" + cluster.cniSocket(4)),
                Map.of(), null, Duration.ofSeconds(90));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout() + r.stderr()).contains("host-gw needs the public IP to be the interface's address")
                .contains("192.0.2.44");
        assertThat(cluster.etcdctl("get", "--prefix", OverlayCluster.PREFIX + "/subnets/")).as("no lease was taken")
                .doesNotContain("192.0.2.44");
    }
}
