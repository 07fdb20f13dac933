package io.javaoverlay.cli;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip6Net;

/**
 * {@link DualStackIpMasqContract} with {@code "EnableNFTables": true}: flannel's {@code postrtg}
 * and {@code forward} chains in the {@code ip6 flannel-ipv6} table, as flannel v0.28's nftables
 * manager writes them, read back with {@code nft list}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackNftablesIT extends DualStackIpMasqContract {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"host-gw\"}", 2, 0)
            .withIpv6Network(NETWORK6).withConfig(",\"EnableNFTables\":true")
            .requiring(r -> r.command("nft", "nftables").command("socat", "socat"));

    @Override
    OverlayCluster cluster() {
        return cluster;
    }

    private List<String> chain(int n, String name) {
        return linesStartingWith(cluster.host(n).execOk("nft", "list", "chain", "ip6", "flannel-ipv6", name), "ip6 ", "meta ");
    }

    @Override
    List<String> ipv6MasqRules(int n) {
        return chain(n, "postrtg");
    }

    /** As {@code nft list} prints flannel's rules (the mark in full width). */
    @Override
    List<String> flannelsIpv6MasqRules(Ip6Net lease6) {
        String net = NETWORK6;
        String sub = lease6.toString();
        return List.of(
                "meta mark 0x00004000 return",
                "ip6 saddr " + sub + " ip6 daddr " + net + " return",
                "ip6 saddr " + net + " ip6 daddr " + sub + " return",
                "ip6 saddr != " + sub + " ip6 daddr " + net + " return",
                "ip6 saddr " + net + " ip6 daddr != ff00::/8 masquerade fully-random",
                "ip6 saddr != " + net + " ip6 daddr " + net + " masquerade fully-random");
    }

    @Override
    List<String> ipv6ForwardRules(int n) {
        return chain(n, "forward");
    }

    @Override
    List<String> flannelsIpv6ForwardRules() {
        return List.of("ip6 saddr " + NETWORK6 + " accept", "ip6 daddr " + NETWORK6 + " accept");
    }

    @Override
    void flushIpv6MasqRules(int n) {
        cluster.host(n).execOk("nft", "flush", "chain", "ip6", "flannel-ipv6", "postrtg");
    }

    @Override
    String restoredLogLine(int n) {
        return "nftables rules for " + cluster.subnet(n) + " and " + cluster.lease6(n) + " were missing or changed; restored them";
    }
}
