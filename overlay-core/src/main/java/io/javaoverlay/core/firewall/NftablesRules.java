package io.javaoverlay.core.firewall;

import java.util.List;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The nftables form of {@link OverlayRules}, in the tables, chains and rule texts flanneld's
 * nftables manager (v0.25 and later, {@code "EnableNFTables": true}) writes, so operators and
 * tools that know flannel find them where they expect:
 *
 * <pre>
 * table ip flannel-ipv4 {                  comment "rules for flannel-ipv4"
 *   chain postrtg {  type nat hook postrouting priority srcnat      (--ip-masq)
 *     meta mark 0x4000 return                                      kube-proxy masquerades these itself
 *     ip saddr LEASE ip daddr NETWORK return                       inside the overlay: keep the address
 *     ip saddr NETWORK ip daddr LEASE return
 *     ip saddr != LEASE ip daddr NETWORK return
 *     ip saddr NETWORK ip daddr != 224.0.0.0/4 masquerade fully-random    to the outside
 *     ip saddr != NETWORK ip daddr NETWORK masquerade fully-random
 *   }
 *   chain forward {  type filter hook forward priority filter      (--iptables-forward-rules)
 *     ip saddr NETWORK accept
 *     ip daddr NETWORK accept
 *   }
 * }
 * table ip6 flannel-ipv6 {                 comment "rules for flannel-ipv6"; made at start, as flanneld does
 *   chain postrtg, chain forward          with EnableIPv6 only: the same rules with "ip6 saddr",
 *                                         "ip6 daddr", the IPv6 network and subnet, and ff00::/8
 * }
 * </pre>
 *
 * <p>Two differences from the iptables chain are flannel's and kept on purpose, so a host matches
 * a flanneld one rule for rule: the mark is compared whole ({@code meta mark 0x4000}, where
 * iptables masks with {@code 0x4000/0x4000}), and the fourth rule returns everything from outside
 * this host's subnet to the overlay ({@code ip saddr != LEASE}, where iptables has
 * {@code ! -s NETWORK -d LEASE}), so the last rule never matches: traffic from outside the overlay to
 * another host's containers leaves unmasqueraded, as it does from a flanneld in nftables mode.
 */
public final class NftablesRules {

    public static final String IPV4_TABLE = "flannel-ipv4";
    public static final String IPV6_TABLE = "flannel-ipv6";
    public static final String MASQ_CHAIN = "postrtg";
    public static final String FORWARD_CHAIN = "forward";

    /** kube-proxy's masquerade mark, compared as flannel's nftables manager does. */
    private static final String KUBE_MASQ_MARK = "0x4000";
    private static final String MULTICAST = "224.0.0.0/4";
    private static final String MULTICAST6 = "ff00::/8";
    /** nft's srcnat and filter priorities, written as numbers as flannel's knftables writes them. */
    private static final int SRCNAT_PRIORITY = 100;
    private static final int FILTER_PRIORITY = 0;

    private NftablesRules() {}

    /** {@code comment "rules for <table>"}, flannel's table comment. */
    static String tableComment(String table) {
        return "rules for " + table;
    }

    public static NftChain masqChain() {
        return masqChain("ip", IPV4_TABLE);
    }

    public static NftChain forwardChain() {
        return forwardChain("ip", IPV4_TABLE);
    }

    /** The masquerade chain in {@code ip6 flannel-ipv6}. */
    public static NftChain masqChain6() {
        return masqChain("ip6", IPV6_TABLE);
    }

    /** The forward chain in {@code ip6 flannel-ipv6}. */
    public static NftChain forwardChain6() {
        return forwardChain("ip6", IPV6_TABLE);
    }

    private static NftChain masqChain(String family, String table) {
        return new NftChain(family, table, MASQ_CHAIN, "nat", "postrouting", SRCNAT_PRIORITY,
                "chain to manage traffic masquerading by flannel");
    }

    private static NftChain forwardChain(String family, String table) {
        return new NftChain(family, table, FORWARD_CHAIN, "filter", "forward", FILTER_PRIORITY, "chain to accept flannel traffic");
    }

    /**
     * flannel's nftables masquerade rules for {@code network} with this host's {@code lease}.
     *
     * @param fullyRandom whether the kernel takes {@code masquerade fully-random} (avoids SNAT port
     *                    collisions under load)
     */
    public static List<String> masqRules(Ip4Net network, Ip4Net lease, boolean fullyRandom) {
        return masqRules("ip", network.toString(), lease.toString(), MULTICAST, fullyRandom);
    }

    /** flannel's nftables masquerade rules for IPv6, for the {@code ip6 flannel-ipv6} table. */
    public static List<String> masqRules6(Ip6Net network, Ip6Net lease, boolean fullyRandom) {
        return masqRules("ip6", network.toString(), lease.toString(), MULTICAST6, fullyRandom);
    }

    private static List<String> masqRules(String family, String net, String sub, String multicast, boolean fullyRandom) {
        return List.of(
                "meta mark " + KUBE_MASQ_MARK + " return",
                family + " saddr " + sub + " " + family + " daddr " + net + " return",
                family + " saddr " + net + " " + family + " daddr " + sub + " return",
                family + " saddr != " + sub + " " + family + " daddr " + net + " return",
                family + " saddr " + net + " " + family + " daddr != " + multicast + " " + masquerade(fullyRandom),
                family + " saddr != " + net + " " + family + " daddr " + net + " " + masquerade(fullyRandom));
    }

    public static List<String> forwardRules(Ip4Net network) {
        return forwardRules("ip", network.toString());
    }

    /** The forward rules for the IPv6 network, for the {@code ip6 flannel-ipv6} table. */
    public static List<String> forwardRules6(Ip6Net network) {
        return forwardRules("ip6", network.toString());
    }

    private static List<String> forwardRules(String family, String net) {
        return List.of(family + " saddr " + net + " accept", family + " daddr " + net + " accept");
    }

    /** The one place the masquerade statement is written. */
    static String masquerade(boolean fullyRandom) {
        return fullyRandom ? "masquerade fully-random" : "masquerade";
    }
}
