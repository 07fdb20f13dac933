package io.javaoverlay.core.host;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.firewall.RuleChain;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * {@link BridgeFirewall} with iptables, in chains of our own so they can be listed, checked and
 * removed without touching anyone else's:
 *
 * <pre>
 * filter JAVAOVERLAY-FWD, jumped to first from FORWARD (one per host, for the bridge):
 * -A JAVAOVERLAY-FWD -i cni0 -j ACCEPT                                  containers out, replies in
 * -A JAVAOVERLAY-FWD -o cni0 -j ACCEPT                                  to containers
 * (the same chain in ip6tables for a bridge that carries IPv6)
 *
 * nat JO-CNI-1a2b3c4d, jumped to from POSTROUTING (one per CNI network, named by a hash of its name):
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 -d 10.5.0.0/16 -j RETURN          to other containers: keep the source
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 ! -d 224.0.0.0/4 -j MASQUERADE    to the outside (not multicast)
 *
 * ip6tables nat JO-CNI-1a2b3c4d, the same chain for the IPv6 subnet of a dual-stack host:
 * -A JO-CNI-1a2b3c4d -s fc00:5:0:34::/64 -d fc00:5::/48 -j RETURN
 * -A JO-CNI-1a2b3c4d -s fc00:5:0:34::/64 ! -d ff00::/8 -j MASQUERADE
 * </pre>
 *
 * (each rule with a comment naming who made it). flannel's bridge delegate adds a masquerade
 * chain per container and masquerades everything that leaves the host subnet, other hosts'
 * containers included; one chain per network is set up once and shared by every container, and
 * keeps container addresses visible across the overlay. It stays while containers of the
 * network use it; the CNI plugin removes it ({@link #removeMasquerade}) with the network's last
 * container on the host.
 *
 * <p>The chain names and comments are the ones the two faces wrote before this class held both
 * ({@code "javaoverlay docker forward"} included), so an upgraded host finds its rules as they
 * were and rewrites nothing.
 */
public final class IptablesBridgeFirewall implements BridgeFirewall {

    /** Made on first use: the CNI plugin makes this class on every call and must not pay for setting up logging. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(IptablesBridgeFirewall.class);
    }

    public static final String FORWARD_CHAIN = "JAVAOVERLAY-FWD";
    static final String FORWARD_COMMENT = "javaoverlay docker forward";
    private static final String MASQUERADE_CHAIN_PREFIX = "JO-CNI-";
    private static final String MULTICAST = "224.0.0.0/4";
    /** IPv6 multicast, as the reference plugins' {@code SetupIPMasq} leaves it alone for IPv6. */
    private static final String MULTICAST6 = "ff00::/8";
    /** The longest network name a comment carries whole: the xt_comment match holds 255 bytes (names are ASCII). */
    private static final int COMMENT_NAME_MAX = 200;

    private final Supplier<Iptables> iptablesFactory;
    private Iptables iptables;

    /** @param iptables made on first use: most CNI ADDs never need it (the agent masquerades) */
    public IptablesBridgeFirewall(Supplier<Iptables> iptables) {
        this.iptablesFactory = iptables;
    }

    public IptablesBridgeFirewall(Iptables iptables) {
        this.iptablesFactory = null;
        this.iptables = iptables;
    }

    private synchronized Iptables iptables() {
        if (iptables == null) {
            iptables = iptablesFactory.get();
        }
        return iptables;
    }

    private RuleChain forwardChain() {
        return forwardChain(iptables());
    }

    private static RuleChain forwardChain(Iptables tables) {
        return new RuleChain(tables, "filter", "FORWARD", FORWARD_CHAIN, FORWARD_COMMENT);
    }

    @Override
    public void ensureForwarding(String bridge) {
        if (forwardChain().ensure(forwardRules(bridge))) {
            Log.LOG.info("forwarding for bridge {} allowed in filter {}", bridge, FORWARD_CHAIN);
        }
    }

    static List<Rule> forwardRules(String bridge) {
        return List.of(
                Rule.of("filter", FORWARD_CHAIN, "-i", bridge, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"),
                Rule.of("filter", FORWARD_CHAIN, "-o", bridge, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"));
    }

    @Override
    public void ensureForwarding6(String bridge) {
        if (forwardChain(iptables().ipv6()).ensure(forwardRules(bridge))) {
            Log.LOG.info("IPv6 forwarding for bridge {} allowed in ip6tables filter {}", bridge, FORWARD_CHAIN);
        }
    }

    @Override
    public void removeForwarding() {
        // iptables -C on a jump to a chain that does not exist is an error, not "no such rule"
        if (iptables().chainExists("filter", FORWARD_CHAIN)) {
            forwardChain().remove();
        }
        Iptables ip6 = iptables().ipv6();
        boolean present6;
        try {
            present6 = ip6.chainExists("filter", FORWARD_CHAIN);
        } catch (UncheckedIOException e) {
            return; // no ip6tables: no rule of it can be there
        }
        if (present6) {
            forwardChain(ip6).remove();
        }
    }

    /** The masquerade chain for a network: a hash keeps any network name within iptables' 28 characters. */
    static String masqueradeChain(String network) {
        CRC32 crc = new CRC32();
        crc.update(network.getBytes(StandardCharsets.UTF_8));
        String h = Long.toHexString(crc.getValue());
        return MASQUERADE_CHAIN_PREFIX + "00000000".substring(h.length()) + h;
    }

    /** The masquerade rules' comment: the network's name, cut (always the same way) where iptables' limit would refuse it. */
    static String masqueradeComment(String network) {
        return "javaoverlay cni " + (network.length() <= COMMENT_NAME_MAX ? network : network.substring(0, COMMENT_NAME_MAX) + "...");
    }

    static List<Rule> masqueradeRules(String network, Ip4Net overlay, Ip4Net lease) {
        return masqueradeRules(network, overlay.toString(), lease.toString(), MULTICAST);
    }

    /** The IPv6 rules: the IPv4 ones with the IPv6 subnet, the IPv6 overlay and IPv6 multicast. */
    static List<Rule> masqueradeRules6(String network, Ip6Net overlay, Ip6Net lease) {
        return masqueradeRules(network, overlay.toString(), lease.toString(), MULTICAST6);
    }

    private static List<Rule> masqueradeRules(String network, String overlay, String lease, String multicast) {
        String chain = masqueradeChain(network);
        String comment = masqueradeComment(network);
        return List.of(
                Rule.of("nat", chain, "-s", lease, "-d", overlay,
                        "-m", "comment", "--comment", comment, "-j", "RETURN"),
                Rule.of("nat", chain, "-s", lease, "!", "-d", multicast,
                        "-m", "comment", "--comment", comment, "-j", "MASQUERADE"));
    }

    private static RuleChain masqueradeChain(Iptables tables, String network) {
        return new RuleChain(tables, "nat", "POSTROUTING", masqueradeChain(network), masqueradeComment(network));
    }

    @Override
    public void ensureMasquerade(String network, Ip4Net overlay, Ip4Net lease) {
        masqueradeChain(iptables(), network).ensure(masqueradeRules(network, overlay, lease));
    }

    @Override
    public boolean isMasqueraded(String network, Ip4Net overlay, Ip4Net lease) {
        return holdsExactly(iptables(), network, masqueradeRules(network, overlay, lease));
    }

    @Override
    public void ensureMasquerade6(String network, Ip6Net overlay, Ip6Net lease) {
        if (masqueradeChain(iptables().ipv6(), network).ensure(masqueradeRules6(network, overlay, lease))) {
            Log.LOG.info("IPv6 traffic of {} from {} to outside {} masqueraded in ip6tables nat {}", network, lease, overlay,
                    masqueradeChain(network));
        }
    }

    @Override
    public boolean isMasqueraded6(String network, Ip6Net overlay, Ip6Net lease) {
        return holdsExactly(iptables().ipv6(), network, masqueradeRules6(network, overlay, lease));
    }

    private static boolean holdsExactly(Iptables tables, String network, List<Rule> rules) {
        String chain = masqueradeChain(network);
        if (!tables.chainExists("nat", chain)) {
            return false;
        }
        List<String> want = rules.stream().map(Rule::toSaveFormat).toList();
        return tables.listRules("nat", chain).equals(want);
    }

    @Override
    public void removeMasquerade(String network) {
        for (Iptables tables : List.of(iptables(), iptables().ipv6())) {
            boolean present;
            try {
                present = tables.chainExists("nat", masqueradeChain(network));
            } catch (UncheckedIOException e) {
                continue; // the tool is not installed: no rule of it can be there
            }
            if (present) {
                masqueradeChain(tables, network).remove();
                Log.LOG.info("{} nat {} of {} removed (no attachment of it is left)", tables.binary(), masqueradeChain(network), network);
            }
        }
    }
}
