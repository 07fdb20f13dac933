package io.javaoverlay.core.firewall;

import java.util.ArrayList;
import java.util.List;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The rules a host of the overlay needs, in flannel's chains so that operators and tools that
 * know flannel find them where they expect.
 *
 * <p><b>ip-masq</b> ({@code nat FLANNEL-POSTRTG}, jumped to from POSTROUTING): traffic that stays
 * inside the overlay keeps its source address; traffic from the overlay to the outside is
 * masqueraded; traffic from the outside into this host's subnet is left alone (a NodePort, a
 * published port), while outside traffic towards other hosts' subnets is masqueraded so the
 * reply comes back through this host. Multicast is never masqueraded. Packets kube-proxy marked
 * for masquerade (0x4000) are left to kube-proxy's own chain.
 *
 * <p><b>forward</b> ({@code filter FLANNEL-FWD}, jumped to from FORWARD): accept everything from
 * and to the overlay network, so a host where Docker set the FORWARD policy to DROP still
 * forwards overlay traffic.
 *
 * <p><b>IPv6</b> (with {@code EnableIPv6}): the same chains, by the same names, in ip6tables'
 * tables, with the IPv6 network and this host's IPv6 subnet, as flannel v0.28's
 * {@code masqIP6Rules} and {@code forwardRules} write them; only the multicast range differs
 * ({@code ff00::/8}).
 */
public final class OverlayRules {

    public static final String MASQ_CHAIN = "FLANNEL-POSTRTG";
    public static final String FORWARD_CHAIN = "FLANNEL-FWD";
    static final String MASQ_COMMENT = "flanneld masq";
    static final String FORWARD_COMMENT = "flanneld forward";

    /** kube-proxy's masquerade mark: such packets are masqueraded by KUBE-POSTROUTING, not here. */
    private static final String KUBE_MASQ_MARK = "0x4000/0x4000";
    private static final String MULTICAST = "224.0.0.0/4";
    private static final String MULTICAST6 = "ff00::/8";

    private OverlayRules() {}

    public static RuleChain masqChain(Iptables iptables) {
        return new RuleChain(iptables, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_COMMENT);
    }

    public static RuleChain forwardChain(Iptables iptables) {
        return new RuleChain(iptables, "filter", "FORWARD", FORWARD_CHAIN, FORWARD_COMMENT);
    }

    /**
     * flannel's ip-masq rules for {@code network} with this host's {@code lease}.
     *
     * @param randomFully whether iptables supports {@code --random-fully} (avoids SNAT port
     *                    collisions under load; iptables 1.6.2 and newer)
     */
    public static List<Rule> masqRules(Ip4Net network, Ip4Net lease, boolean randomFully) {
        return masqRules(network.toString(), lease.toString(), MULTICAST, randomFully);
    }

    /** flannel's ip-masq rules for IPv6 (for ip6tables): {@code network} with this host's IPv6 {@code lease}. */
    public static List<Rule> masqRules6(Ip6Net network, Ip6Net lease, boolean randomFully) {
        return masqRules(network.toString(), lease.toString(), MULTICAST6, randomFully);
    }

    private static List<Rule> masqRules(String net, String sub, String multicast, boolean randomFully) {
        List<Rule> rules = new ArrayList<>();
        rules.add(masq("-m", "mark", "--mark", KUBE_MASQ_MARK, "-m", "comment", "--comment", MASQ_COMMENT, "-j", "RETURN"));
        // inside the overlay: keep the pod's address
        rules.add(masq("-s", sub, "-d", net, "-m", "comment", "--comment", MASQ_COMMENT, "-j", "RETURN"));
        rules.add(masq("-s", net, "-d", sub, "-m", "comment", "--comment", MASQ_COMMENT, "-j", "RETURN"));
        // from outside into this host's own subnet: leave alone
        rules.add(masq("!", "-s", net, "-d", sub, "-m", "comment", "--comment", MASQ_COMMENT, "-j", "RETURN"));
        // from the overlay to the outside (not multicast): masquerade
        rules.add(masq(withMasquerade(randomFully, "-s", net, "!", "-d", multicast, "-m", "comment", "--comment", MASQ_COMMENT)));
        // from outside to other hosts' subnets: masquerade so replies return through this host
        rules.add(masq(withMasquerade(randomFully, "!", "-s", net, "-d", net, "-m", "comment", "--comment", MASQ_COMMENT)));
        return rules;
    }

    public static List<Rule> forwardRules(Ip4Net network) {
        return forwardRules(network.toString());
    }

    /** The forward rules for the IPv6 network (for ip6tables). */
    public static List<Rule> forwardRules6(Ip6Net network) {
        return forwardRules(network.toString());
    }

    private static List<Rule> forwardRules(String net) {
        return List.of(
                Rule.of("filter", FORWARD_CHAIN, "-s", net, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"),
                Rule.of("filter", FORWARD_CHAIN, "-d", net, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"));
    }

    private static String[] withMasquerade(boolean randomFully, String... match) {
        List<String> spec = new ArrayList<>(List.of(match));
        spec.add("-j");
        spec.add("MASQUERADE");
        if (randomFully) {
            spec.add("--random-fully");
        }
        return spec.toArray(String[]::new);
    }

    private static Rule masq(String... spec) {
        return Rule.of("nat", MASQ_CHAIN, spec);
    }
}
