package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip6Net;

/**
 * {@link DualStackIpMasqContract} with ip6tables (the default): flannel's {@code FLANNEL-POSTRTG}
 * and {@code FLANNEL-FWD} chains in ip6tables' nat and filter tables, as flannel v0.28's
 * {@code masqIP6Rules} and {@code forwardRules} write them; and the forward chain lets IPv6 overlay
 * traffic through a host whose ip6tables FORWARD policy drops.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackIpMasqIT extends DualStackIpMasqContract {

    // no agent starts by itself: each host gets its IPv6 underlay address first; every agent runs with --ip-masq
    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"host-gw\"}", 2, 0)
            .withIpv6Network(NETWORK6)
            .requiring(r -> r.command("ip6tables", "iptables").command("socat", "socat"));

    @Override
    OverlayCluster cluster() {
        return cluster;
    }

    @Override
    List<String> ipv6MasqRules(int n) {
        return linesStartingWith(cluster.host(n).execOk("ip6tables", "-t", "nat", "-S"), "-A POSTROUTING -m comment --comment \"flanneld",
                "-A FLANNEL-POSTRTG");
    }

    @Override
    List<String> flannelsIpv6MasqRules(Ip6Net lease6) {
        String net = NETWORK6;
        String sub = lease6.toString();
        String c = "-m comment --comment \"flanneld masq\"";
        return List.of(
                "-A POSTROUTING " + c + " -j FLANNEL-POSTRTG",
                "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 " + c + " -j RETURN",
                "-A FLANNEL-POSTRTG -s " + sub + " -d " + net + " " + c + " -j RETURN",
                "-A FLANNEL-POSTRTG -s " + net + " -d " + sub + " " + c + " -j RETURN",
                "-A FLANNEL-POSTRTG ! -s " + net + " -d " + sub + " " + c + " -j RETURN",
                "-A FLANNEL-POSTRTG -s " + net + " ! -d ff00::/8 " + c + " -j MASQUERADE --random-fully",
                "-A FLANNEL-POSTRTG ! -s " + net + " -d " + net + " " + c + " -j MASQUERADE --random-fully");
    }

    @Override
    List<String> ipv6ForwardRules(int n) {
        return linesStartingWith(cluster.host(n).execOk("ip6tables", "-t", "filter", "-S"), "-A FORWARD -m comment --comment \"flanneld",
                "-A FLANNEL-FWD");
    }

    @Override
    List<String> flannelsIpv6ForwardRules() {
        String c = "-m comment --comment \"flanneld forward\"";
        return List.of("-A FORWARD " + c + " -j FLANNEL-FWD",
                "-A FLANNEL-FWD -s " + NETWORK6 + " " + c + " -j ACCEPT",
                "-A FLANNEL-FWD -d " + NETWORK6 + " " + c + " -j ACCEPT");
    }

    @Override
    void flushIpv6MasqRules(int n) {
        cluster.host(n).execOk("ip6tables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
    }

    @Override
    String restoredLogLine(int n) {
        return "ip6tables rules for " + cluster.lease6(n) + " were missing or changed; restored them";
    }

    @Test
    @Order(3)
    void theForwardChainCarriesIpv6OverlayTrafficThroughAFORWARDPolicyThatDrops() {
        for (int h = 1; h <= 2; h++) {
            cluster.host(h).execOk("ip6tables", "-P", "FORWARD", "DROP");
        }
        try {
            assertThat(cluster.container(1, 1).ping(hosts().containerIp6(2, 2), 5)).as("ping -6 across hosts, FORWARD policy DROP").isTrue();
            // without flannel's accept rules the same packets are dropped: the chain is what carries them
            cluster.host(2).execOk("ip6tables", "-D", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
            assertThat(cluster.container(1, 1).exec(java.time.Duration.ofSeconds(5), "ping", "-6", "-n", "-c2", "-W1",
                    hosts().containerIp6(2, 2)).ok()).as("ping -6 without the jump to FLANNEL-FWD").isFalse();
            cluster.host(2).execOk("ip6tables", "-I", "FORWARD", "1", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
            assertThat(cluster.container(1, 1).ping(hosts().containerIp6(2, 2), 5)).isTrue();
        } finally {
            for (int h = 1; h <= 2; h++) {
                cluster.host(h).execOk("ip6tables", "-P", "FORWARD", "ACCEPT");
            }
        }
    }
}
